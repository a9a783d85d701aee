export type Verdict = "reproduced" | "partly" | "not reproduced";
