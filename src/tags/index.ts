/**
 * PEP 425 compatibility tags, PEP 600 manylinux and PEP 656 musllinux platform tags: the `Tag`
 * value, compressed tag sets, best-first tag lists generated from explicit inputs, and wheel
 * compatibility with a reason. Pure: no I/O, nothing read from the running process.
 * @packageDocumentation
 */
export { Tag, parseTag } from './tag.js';
export {
  type PythonVersion,
  type Libc,
  type CpythonAbiOptions,
  type ManylinuxAbiOptions,
  cpythonAbis,
  cpythonTags,
  genericTags,
  pyInterpreterRange,
  compatibleTags,
  manylinuxPlatforms,
  musllinuxPlatforms,
  linuxPlatforms,
} from './generate.js';
export { TagSet, wheelCompatibility, type IncompatibleReason, type WheelCompatibility } from './compat.js';
