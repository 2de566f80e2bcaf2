/**
 * Repository keys of Git URLs, as Kluctl's GitUrl.RepoKey() forms them. The same URL shapes are run
 * through the real Kluctl in test/parity/repo-key.test.ts.
 */
import { redactUserinfo, repoKeyOf, tryRepoKeyOf } from '../../lib/serverless/repo-url.js';

describe('repoKeyOf', () => {
  it.each([
    // The forms one GitHub repository is cloned by all meet in one key.
    ['https://github.com/org/repo.git', 'github.com/org/repo'],
    ['https://github.com/org/repo', 'github.com/org/repo'],
    ['http://github.com/org/repo', 'github.com/org/repo'],
    ['git@github.com:org/repo.git', 'github.com/org/repo'],
    ['git@github.com:org/repo', 'github.com/org/repo'],
    ['github.com:org/repo.git', 'github.com/org/repo'],
    ['ssh://git@github.com/org/repo.git', 'github.com/org/repo'],
    ['git+ssh://git@github.com/org/repo.git', 'github.com/org/repo'],
    ['git://github.com/org/repo.git', 'github.com/org/repo'],
    ['https://github.com/org/repo/', 'github.com/org/repo'],
    // userinfo never counts (and tokens in it never reach a key)
    ['https://user:token@github.com/org/repo.git', 'github.com/org/repo'],
    ['https://x-access-token@github.com/org/repo', 'github.com/org/repo'],
    // host and path are lower-cased
    ['https://GitHub.COM/Org/Repo.GIT', 'github.com/org/repo'],
    ['git@GitHub.com:Org/Repo.git', 'github.com/org/repo'],
    // default ports go, others stay
    ['https://github.com:443/org/repo', 'github.com/org/repo'],
    ['http://github.com:80/org/repo', 'github.com/org/repo'],
    ['ssh://git@github.com:22/org/repo.git', 'github.com/org/repo'],
    ['git://github.com:22/org/repo.git', 'github.com/org/repo'],
    ['https://git.example.com:8443/org/repo.git', 'git.example.com:8443/org/repo'],
    ['http://127.0.0.1:41234/runner-project.git', '127.0.0.1:41234/runner-project'],
    ['ssh://git@bitbucket.example.com:7999/proj/repo.git', 'bitbucket.example.com:7999/proj/repo'],
    ['git@host.example.com:2222:org/repo.git', 'host.example.com:2222/org/repo'],
    ['git@host.example.com:22:org/repo.git', 'host.example.com/org/repo'],
    ['https://host.example.com:22/org/repo', 'host.example.com:22/org/repo'],
    ['foo://host.example.com:99/org/repo.git', 'host.example.com:99/org/repo'],
    // query and fragment are not part of the repository
    ['https://github.com/org/repo.git?ref=main#frag', 'github.com/org/repo'],
    // the path is percent-decoded in URLs, literal in the scp-like form
    ['https://host.example.com/Org/My%20Repo.git', 'host.example.com/org/my repo'],
    ['git@host.example.com:org/my%20repo.git', 'host.example.com/org/my%20repo'],
    // scp-like with an absolute path, and deeper paths
    ['git@host.example.com:/srv/git/repo.git', 'host.example.com/srv/git/repo'],
    ['https://gitlab.com/group/sub/repo.git', 'gitlab.com/group/sub/repo'],
    // Kluctl's order of trims: `.git` first (unless the last element is `.git`), then one `/`
    ['https://host.example.com/org/repo.git/', 'host.example.com/org/repo.git'],
    ['https://host.example.com/org/.git', 'host.example.com/org/.git'],
    ['https://host.example.com/org/repo//', 'host.example.com/org/repo'],
    ['https://host.example.com', 'host.example.com/'],
    ['https://[::1]:8080/org/repo', '::1:8080/org/repo'],
  ])('%s -> %s', (url, key) => expect(repoKeyOf(url)).toBe(key));

  it.each([
    ['file:///srv/git/repo.git', 'file:// URLs are not supported'],
    ['/srv/git/repo.git', 'local paths are not supported'],
    ['./repo', 'local paths are not supported'],
    ['https://host.example.com:abc/repo', 'the port is not a number'],
    ['https://host.example.com/a%zzb', "'%' that is not followed by two hex digits"],
    ['https:///org/repo', 'it names no host'],
    ['https://host.example.com/a\nb', 'control character'],
  ])('refuses %j: %s', (url, why) => {
    expect(() => repoKeyOf(url)).toThrow(why);
    expect(tryRepoKeyOf(url)).toBeUndefined();
  });

  it('never puts a token into an error message', () => {
    expect(() => repoKeyOf('https://user:s3cr3t@host.example.com:x/repo')).toThrow(
      "invalid Git URL 'https://***@host.example.com:x/repo'",
    );
    expect(redactUserinfo('https://tok@h/r')).toBe('https://***@h/r');
    expect(redactUserinfo('git@h:r')).toBe('git@h:r');
  });
});
