/**
 * Reading each provider's webhook payload (lib/serverless/webhook-payload.ts). The bodies are trimmed
 * versions of the push payloads the providers document (GitHub push/ping, GitLab Push Hook / Tag Push
 * Hook / System Hook, Gitea push, Bitbucket Server repo:refs_changed / diagnostics:ping).
 */
import { parseWebhookEvent } from '../../lib/serverless/webhook-payload.js';
import type { WebhookEvent } from '../../lib/serverless/webhook-payload.js';
import type { WebhookProvider } from '../../lib/serverless/webhook-signature.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

const githubPush = {
  ref: 'refs/heads/main',
  before: '0'.repeat(40),
  after: '1'.repeat(40),
  repository: {
    full_name: 'org/repo',
    html_url: 'https://github.com/org/repo',
    git_url: 'git://github.com/org/repo.git',
    ssh_url: 'git@github.com:org/repo.git',
    clone_url: 'https://github.com/org/repo.git',
    default_branch: 'main',
  },
};

describe('parseWebhookEvent', () => {
  it.each<[string, WebhookProvider, Record<string, string>, Buffer, WebhookEvent]>([
    [
      'GitHub push',
      'github',
      { 'x-github-event': 'push', 'content-type': 'application/json' },
      json(githubPush),
      {
        kind: 'push',
        push: {
          repoUrls: [
            'https://github.com/org/repo.git',
            'git@github.com:org/repo.git',
            'git://github.com/org/repo.git',
            'https://github.com/org/repo',
          ],
          refs: ['refs/heads/main'],
          defaultBranch: 'main',
        },
      },
    ],
    [
      'GitHub push, form-encoded',
      'github',
      { 'x-github-event': 'push', 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from(`payload=${encodeURIComponent(JSON.stringify({ ...githubPush, ref: 'refs/tags/v1' }))}`),
      {
        kind: 'push',
        push: {
          repoUrls: [
            'https://github.com/org/repo.git',
            'git@github.com:org/repo.git',
            'git://github.com/org/repo.git',
            'https://github.com/org/repo',
          ],
          refs: ['refs/tags/v1'],
          defaultBranch: 'main',
        },
      },
    ],
    [
      'GitHub ping',
      'github',
      { 'x-github-event': 'ping' },
      json({ zen: 'Keep it logically awesome.' }),
      { kind: 'ping' },
    ],
    [
      'GitHub pull_request',
      'github',
      { 'x-github-event': 'pull_request' },
      json({}),
      { kind: 'ignored', event: 'pull_request' },
    ],
    [
      'GitHub without event header',
      'github',
      {},
      json(githubPush),
      { kind: 'ignored', event: '(no event header)' },
    ],
    [
      'GitHub push that is not JSON',
      'github',
      { 'x-github-event': 'push' },
      Buffer.from('ref=main'),
      { kind: 'invalid', reason: 'the body is not a JSON object' },
    ],
    [
      'GitHub push without repository',
      'github',
      { 'x-github-event': 'push' },
      json({ ref: 'refs/heads/main' }),
      { kind: 'invalid', reason: 'the payload names no repository URL' },
    ],
    [
      'Gitea push',
      'gitea',
      { 'x-gitea-event': 'push', 'x-github-event': 'push' },
      json({
        ref: 'refs/heads/develop',
        repository: {
          html_url: 'http://localhost:3000/gitea/webhooks',
          ssh_url: 'ssh://gitea@localhost:2222/gitea/webhooks.git',
          clone_url: 'http://localhost:3000/gitea/webhooks.git',
          default_branch: 'master',
        },
      }),
      {
        kind: 'push',
        push: {
          repoUrls: [
            'http://localhost:3000/gitea/webhooks.git',
            'ssh://gitea@localhost:2222/gitea/webhooks.git',
            'http://localhost:3000/gitea/webhooks',
          ],
          refs: ['refs/heads/develop'],
          defaultBranch: 'master',
        },
      },
    ],
    ['Gitea create', 'gitea', { 'x-gitea-event': 'create' }, json({}), { kind: 'ignored', event: 'create' }],
    [
      'GitLab Push Hook',
      'gitlab',
      { 'x-gitlab-event': 'Push Hook' },
      json({
        object_kind: 'push',
        ref: 'refs/heads/master',
        project: {
          web_url: 'https://gitlab.example.com/mike/diaspora',
          git_ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
          git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
          default_branch: 'master',
        },
        repository: {
          url: 'git@gitlab.example.com:mike/diaspora.git',
          homepage: 'https://gitlab.example.com/mike/diaspora',
          git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
          git_ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
        },
      }),
      {
        kind: 'push',
        push: {
          repoUrls: [
            'https://gitlab.example.com/mike/diaspora.git',
            'git@gitlab.example.com:mike/diaspora.git',
            'https://gitlab.example.com/mike/diaspora',
          ],
          refs: ['refs/heads/master'],
          defaultBranch: 'master',
        },
      },
    ],
    [
      'GitLab Tag Push Hook (older payload with repository only)',
      'gitlab',
      { 'x-gitlab-event': 'Tag Push Hook' },
      json({
        object_kind: 'tag_push',
        ref: 'refs/tags/v1.0.0',
        repository: { git_http_url: 'https://gitlab.example.com/jsmith/example.git' },
      }),
      {
        kind: 'push',
        push: { repoUrls: ['https://gitlab.example.com/jsmith/example.git'], refs: ['refs/tags/v1.0.0'] },
      },
    ],
    [
      'GitLab System Hook of a push',
      'gitlab',
      { 'x-gitlab-event': 'System Hook' },
      json({
        event_name: 'push',
        ref: 'refs/heads/main',
        project: { git_http_url: 'https://gitlab.example.com/g/p.git' },
      }),
      { kind: 'push', push: { repoUrls: ['https://gitlab.example.com/g/p.git'], refs: ['refs/heads/main'] } },
    ],
    [
      'GitLab System Hook of something else',
      'gitlab',
      { 'x-gitlab-event': 'System Hook' },
      json({ event_name: 'project_create' }),
      { kind: 'ignored', event: 'System Hook project_create' },
    ],
    [
      'GitLab Merge Request Hook',
      'gitlab',
      { 'x-gitlab-event': 'Merge Request Hook' },
      json({}),
      { kind: 'ignored', event: 'Merge Request Hook' },
    ],
    [
      'Bitbucket Server repo:refs_changed',
      'bitbucket',
      { 'x-event-key': 'repo:refs_changed' },
      json({
        eventKey: 'repo:refs_changed',
        repository: {
          slug: 'test-repo',
          project: { key: 'MYPROJECT' },
          links: {
            clone: [
              { href: 'ssh://git@bitbucketserver:7999/myproject/test-repo.git', name: 'ssh' },
              { href: 'https://bitbucketserver/scm/myproject/test-repo.git', name: 'http' },
            ],
          },
        },
        changes: [
          { ref: { id: 'refs/heads/master', displayId: 'master', type: 'BRANCH' }, type: 'UPDATE' },
          { refId: 'refs/tags/v2', type: 'ADD' },
        ],
      }),
      {
        kind: 'push',
        push: {
          repoUrls: [
            'ssh://git@bitbucketserver:7999/myproject/test-repo.git',
            'https://bitbucketserver/scm/myproject/test-repo.git',
          ],
          refs: ['refs/heads/master', 'refs/tags/v2'],
        },
      },
    ],
    [
      'Bitbucket Server ping',
      'bitbucket',
      { 'x-event-key': 'diagnostics:ping' },
      json({ test: true }),
      { kind: 'ping' },
    ],
    [
      'generic',
      'generic',
      {},
      json({ repository: 'git@example.com:org/repo.git', ref: 'refs/heads/main', defaultBranch: 'main' }),
      {
        kind: 'push',
        push: {
          repoUrls: ['git@example.com:org/repo.git'],
          refs: ['refs/heads/main'],
          defaultBranch: 'main',
        },
      },
    ],
    [
      'generic without ref',
      'generic',
      {},
      json({ repository: 'git@example.com:org/repo.git' }),
      { kind: 'invalid', reason: 'the payload names no ref' },
    ],
    [
      'generic, a JSON array',
      'generic',
      {},
      json([1]),
      { kind: 'invalid', reason: 'the body is not a JSON object' },
    ],
  ])('%s', (_name, provider, headers, body, want) => {
    expect(parseWebhookEvent(provider, headers, body)).toEqual(want);
  });
});
