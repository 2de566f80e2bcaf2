/** Strict UTF-8 decoding of template files, with the messages of Python's codec (what Kluctl's Jinja reports). */
import { TemplateError } from '../../lib/errors.js';
import { decodeTemplateFile } from '../../lib/project/utf8-text.js';

const decodeError = (hex: string): string => {
  try {
    decodeTemplateFile(Buffer.from(hex, 'hex'), 'app/cm.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return (err as Error).message.split('. Kluctl')[0]!;
  }
  throw new Error('decoded');
};

describe('decodeTemplateFile', () => {
  it('decodes UTF-8, keeping a byte order mark and NUL bytes', () => {
    expect(decodeTemplateFile(Buffer.from('\ufeffcaf\u00e9 {{ x }}\u0000', 'utf8'), 'f')).toBe(
      '\ufeffcaf\u00e9 {{ x }}\u0000',
    );
  });

  // Expected texts are Python 3's str(UnicodeDecodeError) for the same bytes.
  it.each([
    ['636166e9207b', 'byte 0xe9 in position 3: invalid continuation byte'],
    ['41ff', 'byte 0xff in position 1: invalid start byte'],
    ['c0af', 'byte 0xc0 in position 0: invalid start byte'],
    ['e2', 'byte 0xe2 in position 0: unexpected end of data'],
    ['e282', 'bytes in position 0-1: unexpected end of data'],
    ['e28241', 'bytes in position 0-1: invalid continuation byte'],
    ['e080', 'byte 0xe0 in position 0: invalid continuation byte'],
    ['eda080', 'byte 0xed in position 0: invalid continuation byte'],
    ['f4908080', 'byte 0xf4 in position 0: invalid continuation byte'],
    ['f09f9841', 'bytes in position 0-2: invalid continuation byte'],
  ])('%s', (hex, message) => {
    expect(decodeError(hex)).toBe(`app/cm.yaml: 'utf-8' codec can't decode ${message}`);
  });

  it('names the fix', () => {
    expect(() => decodeTemplateFile(Buffer.from('ff', 'hex'), 'f')).toThrow(
      'list files in another encoding in a .templateignore file',
    );
  });
});
