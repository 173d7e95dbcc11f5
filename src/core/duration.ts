/**
 * A length of time as `google.protobuf.Duration` holds it, whole seconds and nanoseconds,
 * kept so from the label that gave it to the bytes Envoy reads: the protobuf encoder copies
 * the two fields as they are, and `JSON.stringify` writes its proto3 JSON text (`toJSON`).
 */
export class Duration {
  readonly seconds: number;
  readonly nanos: number;
  /** Its proto3 JSON text, as the agent has always written it. */
  readonly #text: string;

  private constructor(seconds: number, nanos: number, text: string) {
    this.seconds = seconds;
    this.nanos = nanos;
    this.#text = text;
  }

  /** From whole milliseconds (not negative), written with three decimals: `"0.250s"`. */
  static ofMs(ms: number): Duration {
    const seconds = Math.floor(ms / 1000);
    const millis = ms % 1000;
    return new Duration(
      seconds,
      millis * 1_000_000,
      `${seconds}.${String(millis).padStart(3, '0')}s`,
    );
  }

  /** Whole seconds, written with no decimals: `"1s"`. */
  static ofSeconds(seconds: number): Duration {
    return new Duration(seconds, 0, `${seconds}s`);
  }

  /** `"1.500s"`: what `JSON.stringify` writes. */
  toJSON(): string {
    return this.#text;
  }

  toString(): string {
    return this.#text;
  }
}
