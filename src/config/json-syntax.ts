/**
 * Finds where JSON text stops being valid, as a line and column. `JSON.parse` tells only a character
 * offset, and for some mistakes (a stray `}`) not even that, which leaves the user counting characters.
 */

/** The first syntax error of a JSON text: 1-based line and column, and what was expected there. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  reason: string;
}

class Stop extends Error {
  readonly offset: number;
  constructor(offset: number, reason: string) {
    super(reason);
    this.offset = offset;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = ['true', 'false', 'null'];

/** A validating scanner; it builds nothing, it only walks the grammar until the first mistake. */
class Scanner {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  document(): void {
    this.#value();
    this.#space();
    if (this.#at < this.#text.length) this.#fail('unexpected text after the end of the JSON value');
  }

  #fail(reason: string): never {
    throw new Stop(this.#at, reason);
  }

  #char(): string | undefined {
    return this.#text[this.#at];
  }

  #shown(): string {
    const c = this.#char();
    return c === undefined ? 'end of file' : JSON.stringify(c);
  }

  #space(): void {
    while (/[ \t\n\r]/.test(this.#char() ?? '')) this.#at += 1;
  }

  #value(): void {
    this.#space();
    const c = this.#char();
    if (c === '{') this.#object();
    else if (c === '[') this.#array();
    else if (c === '"') this.#string();
    else if (c !== undefined && /[-0-9]/.test(c)) this.#number();
    else {
      const literal = LITERALS.find((l) => this.#text.startsWith(l, this.#at));
      if (!literal) this.#fail(`expected a value, found ${this.#shown()}`);
      this.#at += literal.length;
    }
  }

  #object(): void {
    this.#at += 1;
    this.#space();
    if (this.#char() === '}') {
      this.#at += 1;
      return;
    }
    for (;;) {
      this.#space();
      if (this.#char() !== '"') this.#fail(`expected a key in double quotes, found ${this.#shown()}`);
      this.#string();
      this.#space();
      if (this.#char() !== ':') this.#fail(`expected ":" after the key, found ${this.#shown()}`);
      this.#at += 1;
      this.#value();
      this.#space();
      const c = this.#char();
      this.#at += 1;
      if (c === '}') return;
      if (c !== ',') {
        this.#at -= 1;
        this.#fail(`expected "," or "}", found ${this.#shown()}`);
      }
    }
  }

  #array(): void {
    this.#at += 1;
    this.#space();
    if (this.#char() === ']') {
      this.#at += 1;
      return;
    }
    for (;;) {
      this.#value();
      this.#space();
      const c = this.#char();
      this.#at += 1;
      if (c === ']') return;
      if (c !== ',') {
        this.#at -= 1;
        this.#fail(`expected "," or "]", found ${this.#shown()}`);
      }
    }
  }

  #string(): void {
    this.#at += 1;
    for (;;) {
      const c = this.#char();
      if (c === undefined) this.#fail('unterminated string');
      if (c === '"') {
        this.#at += 1;
        return;
      }
      if (c < ' ') this.#fail('line break or control character inside a string');
      if (c === '\\') {
        const escape = this.#text.slice(this.#at + 1, this.#at + 6);
        if (/^["\\/bfnrt]/.test(escape)) this.#at += 1;
        else if (/^u[0-9a-fA-F]{4}/.test(escape)) this.#at += 5;
        else this.#fail('invalid escape sequence');
      }
      this.#at += 1;
    }
  }

  #number(): void {
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(this.#text);
    if (!match) this.#fail(`expected a value, found ${this.#shown()}`);
    this.#at += match[0].length;
  }
}

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (error: unknown) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.offset);
    const line = before.split('\n').length;
    const column = error.offset - (before.lastIndexOf('\n') + 1) + 1;
    return { line, column, reason: error.message };
  }
}
