/** A segmenter splits text into words. Contract: lossless, offsets into the input. */
export interface Segment {
  text: string;
  start: number;
  end: number;
  /** True for whitespace and punctuation pieces. */
  isSeparator: boolean;
}

export interface Segmenter {
  readonly name: string;
  segment(text: string): Segment[];
}
