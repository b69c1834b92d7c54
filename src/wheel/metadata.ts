/**
 * Core metadata (`METADATA` in a wheel's `.dist-info`, `PKG-INFO`) — the core metadata
 * specification, versions 1.0–2.4: reading (RFC 822 headers, as packaging 24.1 `parse_email` does)
 * and writing (for tests and tools that build wheels).
 */
import { SneakpackError } from '../errors.js';
import { SpecifierSet, Version, parseSpecifierSet, parseVersion } from '../pep440/index.js';
import { Requirement, canonicalizeName, isValidName, parseRequirement } from '../pep508/index.js';
import { headersByName, parseEmail } from './email.js';
import { pyStrip } from './pystr.js';

/**
 * packaging's `RawMetadata`: recognised fields under their snake_case keys. Single-use fields are
 * strings, multiple-use fields lists, `keywords` a list, `project_urls` a label → URL map.
 */
export type RawMetadata = Record<string, string | string[] | Record<string, string>>;

/** The two dicts of packaging's `parse_email`: recognised fields, and everything else by lower-case name. */
export interface RawMetadataResult {
  readonly raw: RawMetadata;
  readonly unparsed: ReadonlyMap<string, readonly string[]>;
}

/** Core metadata field name (lower case) → `RawMetadata` key, as in packaging 24.1. */
const EMAIL_TO_RAW: Readonly<Record<string, string>> = {
  author: 'author',
  'author-email': 'author_email',
  classifier: 'classifiers',
  description: 'description',
  'description-content-type': 'description_content_type',
  'download-url': 'download_url',
  dynamic: 'dynamic',
  'home-page': 'home_page',
  keywords: 'keywords',
  license: 'license',
  maintainer: 'maintainer',
  'maintainer-email': 'maintainer_email',
  'metadata-version': 'metadata_version',
  name: 'name',
  obsoletes: 'obsoletes',
  'obsoletes-dist': 'obsoletes_dist',
  platform: 'platforms',
  'project-url': 'project_urls',
  provides: 'provides',
  'provides-dist': 'provides_dist',
  'provides-extra': 'provides_extra',
  requires: 'requires',
  'requires-dist': 'requires_dist',
  'requires-external': 'requires_external',
  'requires-python': 'requires_python',
  summary: 'summary',
  'supported-platform': 'supported_platforms',
  version: 'version',
};

const STRING_FIELDS = new Set([
  'author', 'author_email', 'description', 'description_content_type', 'download_url', 'home_page',
  'license', 'maintainer', 'maintainer_email', 'metadata_version', 'name', 'requires_python', 'summary',
  'version',
]);

const LIST_FIELDS = new Set([
  'classifiers', 'dynamic', 'obsoletes', 'obsoletes_dist', 'platforms', 'provides', 'provides_dist',
  'provides_extra', 'requires', 'requires_dist', 'requires_external', 'supported_platforms',
]);

function decodeMetadata(data: string | Uint8Array, file: string): string {
  if (typeof data === 'string') return data;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (cause) {
    throw new SneakpackError('INVALID_METADATA', `${file} is not valid UTF-8 (core metadata must be UTF-8)`, {
      cause,
      details: { file },
    });
  }
}

/**
 * Split a `METADATA` text into recognised and unrecognised fields, exactly as packaging 24.1
 * `metadata.parse_email` does for a `str`: header names are matched case-insensitively; a
 * single-use field given more than once, an unknown field, and a `Project-URL` list with a
 * repeated label go to `unparsed`; `Keywords` is split on commas; the message body is the
 * description, unless a `Description` header exists too, in which case both go to `unparsed`.
 */
export function parseRawMetadata(data: string | Uint8Array): RawMetadataResult {
  const { headers, body } = parseEmail(decodeMetadata(data, 'METADATA'));
  const byName = new Map<string, string[]>();
  for (const h of headers) {
    const key = h.name.toLowerCase();
    const list = byName.get(key);
    if (list) list.push(h.value);
    else byName.set(key, [h.value]);
  }
  const raw: RawMetadata = {};
  const unparsed = new Map<string, string[]>();
  for (const [name, value] of byName) {
    const rawName = EMAIL_TO_RAW[name];
    if (rawName === undefined) {
      unparsed.set(name, value);
    } else if (STRING_FIELDS.has(rawName) && value.length === 1) {
      raw[rawName] = value[0]!;
    } else if (LIST_FIELDS.has(rawName)) {
      raw[rawName] = value;
    } else if (rawName === 'keywords' && value.length === 1) {
      raw[rawName] = value[0]!.split(',').map((k) => pyStrip(k));
    } else if (rawName === 'project_urls') {
      const urls: Record<string, string> = {};
      let duplicate = false;
      for (const pair of value) {
        const comma = pair.indexOf(',');
        const label = pyStrip(comma < 0 ? pair : pair.slice(0, comma));
        const url = comma < 0 ? '' : pyStrip(pair.slice(comma + 1));
        if (Object.prototype.hasOwnProperty.call(urls, label)) {
          duplicate = true;
          break;
        }
        urls[label] = url;
      }
      if (duplicate) unparsed.set(name, value);
      else raw[rawName] = urls;
    } else {
      unparsed.set(name, value);
    }
  }
  if (body) {
    if ('description' in raw) {
      const header = raw.description as string;
      delete raw.description;
      unparsed.set('description', [...(unparsed.get('description') ?? []), header, body]);
    } else if (unparsed.has('description')) {
      unparsed.get('description')!.push(body);
    } else {
      raw.description = body;
    }
  }
  return { raw, unparsed };
}

/** Metadata-Version values this module knows (core metadata spec "Metadata-Version"). */
export const KNOWN_METADATA_VERSIONS: readonly string[] = Object.freeze([
  '1.0', '1.1', '1.2', '2.0', '2.1', '2.2', '2.3', '2.4',
]);

/** A parsed, validated `METADATA` file. */
export interface CoreMetadata {
  /** `Metadata-Version`, e.g. `2.1`. */
  readonly metadataVersion: string;
  /**
   * True when `Metadata-Version` is a 2.x newer than {@link KNOWN_METADATA_VERSIONS}: the spec
   * says consumers SHOULD warn and may continue (only a newer *major* version is fatal).
   */
  readonly metadataVersionIsNewer: boolean;
  /** `Name` as written. */
  readonly name: string;
  /** PEP 503 normalised `Name`. */
  readonly normalizedName: string;
  /** `Version`. */
  readonly version: Version;
  /** `Summary`, or `null`. */
  readonly summary: string | null;
  /** `Description` (from the header, or the message body), or `null`. */
  readonly description: string | null;
  /** Every `Requires-Dist`, parsed (PEP 508). */
  readonly requiresDist: readonly Requirement[];
  /** `Requires-Python` (PEP 440 specifier set), or `null` when absent. */
  readonly requiresPython: SpecifierSet | null;
  /** Every `Provides-Extra`, normalised per PEP 685. */
  readonly providesExtra: readonly string[];
  /** Every header by lower-case field name, values in file order, unparsed (unknown fields included). */
  readonly raw: ReadonlyMap<string, readonly string[]>;
}

/** One problem found while validating `METADATA`. */
export interface MetadataProblem {
  readonly field: string;
  readonly value: string | null;
  readonly message: string;
}

function singleField(
  fields: Map<string, string[]>,
  key: string,
  field: string,
  problems: MetadataProblem[],
  required: boolean,
): string | null {
  const values = fields.get(key);
  if (!values || values.length === 0) {
    if (required) problems.push({ field, value: null, message: `${field} is a required field` });
    return null;
  }
  if (values.length > 1) {
    problems.push({
      field,
      value: values.join(' | '),
      message: `${field} given ${values.length} times (${values.map((v) => `'${v}'`).join(', ')}); it may appear once`,
    });
    return null;
  }
  if (required && values[0] === '') {
    problems.push({ field, value: '', message: `${field} is a required field (it is empty)` });
    return null;
  }
  return values[0]!;
}

/**
 * Read a `METADATA` file (core metadata specification) and validate the fields an installer and
 * resolver rely on, gathering every problem before failing (as packaging's `Metadata.from_raw`):
 * `Metadata-Version` (present, `N.N`, major version ≤ 2 — a newer major MUST be rejected, a newer
 * minor is accepted and flagged), `Name` (PEP 508 "Names"), `Version` (PEP 440), each
 * `Requires-Dist` (PEP 508), `Requires-Python` (PEP 440 specifiers), each `Provides-Extra`
 * (a valid name, PEP 685), and that single-use fields among these appear once.
 *
 * Deliberately more lenient than `Metadata.from_raw`: Metadata-Version 2.0 and 2.4 are accepted
 * (both are common in real wheels); fields newer than the declared Metadata-Version, a multi-line
 * `Summary`, `Dynamic` and `Description-Content-Type` are not validated; unknown fields are kept in
 * {@link CoreMetadata.raw}.
 *
 * @throws SneakpackError `INVALID_METADATA` listing each field and offending value
 *   (`details.problems`).
 */
export function parseCoreMetadata(data: string | Uint8Array, file = 'METADATA'): CoreMetadata {
  const text = decodeMetadata(data, file);
  const { headers, body } = parseEmail(text);
  const fields = headersByName(headers);
  const problems: MetadataProblem[] = [];

  const metadataVersion = singleField(fields, 'metadata-version', 'Metadata-Version', problems, true);
  let metadataVersionIsNewer = false;
  if (metadataVersion !== null) {
    const m = /^(\d+)\.(\d+)$/.exec(metadataVersion);
    if (!m) {
      problems.push({
        field: 'Metadata-Version',
        value: metadataVersion,
        message: `'${metadataVersion}' is not a metadata version (expected e.g. 2.1)`,
      });
    } else if (Number(m[1]) > 2 || Number(m[1]) < 1) {
      problems.push({
        field: 'Metadata-Version',
        value: metadataVersion,
        message: `'${metadataVersion}' has an unsupported major version (this tool reads 1.x and 2.x)`,
      });
    } else if (!KNOWN_METADATA_VERSIONS.includes(metadataVersion)) {
      metadataVersionIsNewer = Number(m[1]) === 2 && Number(m[2]) > 4;
      if (!metadataVersionIsNewer) {
        problems.push({
          field: 'Metadata-Version',
          value: metadataVersion,
          message: `'${metadataVersion}' is not a metadata version (known: ${KNOWN_METADATA_VERSIONS.join(', ')})`,
        });
      }
    }
  }

  const name = singleField(fields, 'name', 'Name', problems, true);
  if (name !== null && !isValidName(name)) {
    problems.push({
      field: 'Name',
      value: name,
      message: `'${name}' is invalid for Name (ASCII letters and digits, with '.', '_', '-' between them)`,
    });
  }

  const versionText = singleField(fields, 'version', 'Version', problems, true);
  let version: Version | null = null;
  if (versionText !== null) {
    try {
      version = parseVersion(versionText);
    } catch (e) {
      problems.push({ field: 'Version', value: versionText, message: `'${versionText}' is invalid for Version: ${(e as Error).message}` });
    }
  }

  const summary = singleField(fields, 'summary', 'Summary', problems, false);

  const requiresDist: Requirement[] = [];
  for (const value of fields.get('requires-dist') ?? []) {
    try {
      requiresDist.push(parseRequirement(value));
    } catch (e) {
      problems.push({ field: 'Requires-Dist', value, message: `'${value}': ${(e as Error).message}` });
    }
  }

  const requiresPythonText = singleField(fields, 'requires-python', 'Requires-Python', problems, false);
  let requiresPython: SpecifierSet | null = null;
  if (requiresPythonText !== null) {
    try {
      requiresPython = parseSpecifierSet(requiresPythonText);
    } catch (e) {
      problems.push({
        field: 'Requires-Python',
        value: requiresPythonText,
        message: `'${requiresPythonText}': ${(e as Error).message}`,
      });
    }
  }

  const providesExtra: string[] = [];
  for (const value of fields.get('provides-extra') ?? []) {
    if (isValidName(value)) providesExtra.push(canonicalizeName(value));
    else problems.push({ field: 'Provides-Extra', value, message: `'${value}' is invalid for Provides-Extra (extras are names, PEP 685)` });
  }

  if (problems.length > 0) {
    const who = name !== null ? ` of ${name}${versionText !== null ? ` ${versionText}` : ''}` : '';
    throw new SneakpackError(
      'INVALID_METADATA',
      `${file}${who} is invalid:\n` + problems.map((p) => `  ${file} ${p.field} ${p.message}`).join('\n'),
      { details: { file, problems } },
    );
  }

  const descriptionHeader = fields.get('description');
  const description = body !== '' ? body : descriptionHeader && descriptionHeader.length === 1 ? descriptionHeader[0]! : null;
  const raw = new Map<string, readonly string[]>();
  for (const [k, v] of fields) raw.set(k, Object.freeze([...v]));
  return Object.freeze({
    metadataVersion: metadataVersion!,
    metadataVersionIsNewer,
    name: name!,
    normalizedName: canonicalizeName(name!),
    version: version!,
    summary,
    description,
    requiresDist: Object.freeze(requiresDist),
    requiresPython,
    providesExtra: Object.freeze(providesExtra),
    raw,
  });
}

/** Fields for {@link serializeCoreMetadata} / {@link metadataFromFields}. */
export interface CoreMetadataFields {
  /** Defaults to `2.1`. */
  readonly metadataVersion?: string;
  readonly name: string;
  readonly version: Version | string;
  readonly summary?: string;
  readonly requiresPython?: SpecifierSet | string;
  readonly requiresDist?: readonly (Requirement | string)[];
  readonly providesExtra?: readonly string[];
  /** Written as the message body (core metadata 2.1+ "Description"). */
  readonly description?: string;
  /** Any other headers, written in order after the known ones, e.g. `['Classifier', '…']`. */
  readonly extra?: readonly (readonly [string, string])[];
}

function headerLine(name: string, value: string): string {
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || name.startsWith('From ')) {
    throw new SneakpackError('INVALID_METADATA', `cannot write METADATA field name '${name}'`, { details: { field: name } });
  }
  if (/[\r\n]/.test(value)) {
    throw new SneakpackError(
      'INVALID_METADATA',
      `METADATA ${name} ${JSON.stringify(value)}: a header value cannot span lines (only the description, written as the body, can)`,
      { details: { field: name, value } },
    );
  }
  return `${name}: ${value}\n`;
}

/**
 * Write a `METADATA` file (core metadata specification): known fields in the spec's order, then
 * `extra` headers, then a blank line and the description as the body. Values are written as given
 * (specifiers and requirements via their string form); nothing is validated here beyond what the
 * format requires — use {@link metadataFromFields} to also validate.
 */
export function serializeCoreMetadata(fields: CoreMetadataFields): string {
  let out = headerLine('Metadata-Version', fields.metadataVersion ?? '2.1');
  out += headerLine('Name', fields.name);
  out += headerLine('Version', String(fields.version));
  if (fields.summary !== undefined) out += headerLine('Summary', fields.summary);
  if (fields.requiresPython !== undefined) out += headerLine('Requires-Python', String(fields.requiresPython));
  for (const r of fields.requiresDist ?? []) out += headerLine('Requires-Dist', String(r));
  for (const e of fields.providesExtra ?? []) out += headerLine('Provides-Extra', e);
  for (const [k, v] of fields.extra ?? []) out += headerLine(k, v);
  if (fields.description !== undefined && fields.description !== '') out += `\n${fields.description}`;
  return out;
}

/** {@link serializeCoreMetadata} then {@link parseCoreMetadata}: a validated metadata value. */
export function metadataFromFields(fields: CoreMetadataFields): CoreMetadata {
  return parseCoreMetadata(serializeCoreMetadata(fields));
}
