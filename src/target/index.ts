/**
 * Build targets: the box sneakpack builds for, from a compact string
 * (`cp311-manylinux_2_36_armv7l`), a preset (`debian12-armhf`) or a captured profile, turned into
 * supported tags (PEP 425 / 600 / 656) and a PEP 508 marker environment. Pure except `load.ts`.
 * @packageDocumentation
 */
export {
  ARCHS,
  type Arch,
  type Target,
  type TargetPython,
  MARKER_VARIABLES,
  minimumGlibc,
  parseCompactTarget,
  compactTarget,
  targetPlatforms,
  generateTargetTags,
  compactMarkerEnvironment,
  describeTarget,
} from './target.js';
export { type TargetProfile, validateProfile, profileTarget } from './profile.js';
export { type TargetPreset, PRESETS, findPreset } from './presets.js';
export { type TargetSpec, type ResolvedTarget, resolveTarget, targetTags, targetMarkerEnvironment } from './resolve.js';
