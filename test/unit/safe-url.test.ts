/** URLs in messages (Git remotes, `http` vars sources) never carry credentials or query tokens. */
import { safeUrl } from '../../lib/util/safe-url.js';

describe('safeUrl', () => {
  it.each([
    ['https://user:s3cret@git.example.com/org/repo.git', 'https://git.example.com/org/repo.git'],
    ['https://token@git.example.com/org/repo', 'https://git.example.com/org/repo'],
    ['https://api.example.com/vars?access_token=s3cret#part', 'https://api.example.com/vars#part'],
    ['http://127.0.0.1:8080/x', 'http://127.0.0.1:8080/x'],
    ['not a url', '<unparsable url>'],
  ])('%s -> %s', (url, want) => {
    expect(safeUrl(url)).toBe(want);
  });
});
