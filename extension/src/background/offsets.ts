// Convert an annotate answer in code points (Python's unit) to UTF-16, in place.
import { codepointToUtf16 } from "../content/extract/offsets";
import type { AnnotateResponse } from "../shared/types";

export function codepointSpansToUtf16(text: string, answer: AnnotateResponse): void {
  const spans = [...answer.entities, ...answer.terms];
  const converted = codepointToUtf16(text, spans.flatMap((s) => [s.start, s.end]));
  spans.forEach((s, i) => {
    s.start = converted[2 * i]!;
    s.end = converted[2 * i + 1]!;
  });
  answer.offsets = "utf16";
}
