// Writing result files without ever leaving a half-written one: write a sibling, then rename.

import { access, constants, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UsageError } from "./args.js";

/** Fail early (before any training) when `file`'s directory cannot take it. */
export async function checkWritable(file: string, flag: string): Promise<void> {
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`${flag}: ${file} is a directory; give a file name`);
  }
  const dir = dirname(resolve(file));
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write ${file}: directory ${dir} does not exist or is not writable`);
  }
}

export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
