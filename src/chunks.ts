/**
 * Reading a whole file front to back in large chunks, the next read in flight while the caller
 * works on the current chunk (hashing, parsing), into two buffers that are reused rather than
 * allocated per chunk. Used by the bundle reader (src/bundle/source.ts) and by the wheel hashing
 * of src/sources (`hashFile`).
 */
import type { FileHandle } from 'node:fs/promises';

/** Default chunk size: large enough to keep system calls rare, small enough to bound memory. */
export const CHUNK_SIZE = 1 << 20;

/**
 * Yields the file behind `handle` from `position` to its end, chunk by chunk. A chunk is a view
 * into one of `buffers` and stays valid only until the next one is asked for (its buffer is then
 * read into again): a caller copies what it keeps. Pass `buffers` (two of the same length) to
 * reuse them across files; by default two of {@link CHUNK_SIZE} are allocated.
 *
 * The read ahead never outlives the generator when it is finished or returned early; if the
 * consumer simply stops asking, its failure is not left unhandled.
 */
export async function* fileChunks(
  handle: FileHandle,
  buffers: readonly [Buffer, Buffer] = [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)],
  position = 0,
): AsyncGenerator<Buffer, void, undefined> {
  const size = buffers[0].length;
  let pending: Promise<{ bytesRead: number }> | null = null;
  const readInto = (buffer: Buffer): Promise<{ bytesRead: number }> => {
    const p = handle.read(buffer, 0, size, position);
    p.catch(() => undefined);
    return p;
  };
  try {
    pending = readInto(buffers[0]);
    for (let i = 0; ; i ^= 1) {
      const { bytesRead } = await pending;
      pending = null;
      if (bytesRead === 0) return;
      position += bytesRead;
      pending = readInto(buffers[i ^ 1]!);
      yield buffers[i]!.subarray(0, bytesRead);
    }
  } finally {
    // A read still in flight must end before its buffer is reused or the file is closed.
    if (pending !== null) await pending.catch(() => undefined);
  }
}
