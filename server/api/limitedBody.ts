/** Reads a request body up to a limit, so an oversized upload is refused without buffering it. */
export async function readLimitedBody(
  req: Request,
  maxBytes: number,
): Promise<{ ok: true; request: Request } | { ok: false }> {
  if (!req.body) return { ok: true, request: req };
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) return { ok: false };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return { ok: false };
    }
    chunks.push(value);
  }
  const body = Buffer.concat(chunks);
  return {
    ok: true,
    request: new Request(req.url, {
      method: req.method,
      headers: req.headers,
      body,
      signal: req.signal,
    }),
  };
}
