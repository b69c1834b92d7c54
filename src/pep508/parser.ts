/**
 * Recursive-descent parser for PEP 508 dependency specifiers and environment markers, a
 * transcription of pypa/packaging 24.1 `_parser.py`. Each function's comment gives the grammar
 * rule it implements (packaging's EBNF, which is PEP 508 "Grammar" as packaging accepts it).
 *
 * The marker tree keeps packaging's shape — a flat list of atoms separated by `"and"`/`"or"`,
 * where a parenthesised group is a nested list — because `str(Marker)` is defined on that shape.
 *
 * @internal
 */
import type { ErrorCode } from '../errors.js';
import { PythonStringError, decodePythonString } from './pystring.js';
import { Tokenizer } from './tokenizer.js';

/** A comparison operator of PEP 508 `marker_op`. */
export type MarkerOperator = '<' | '<=' | '==' | '!=' | '>=' | '>' | '~=' | '===' | 'in' | 'not in';

/** An environment variable in a marker (PEP 508 `env_var`), by its canonical name. */
export interface MarkerVariableNode {
  readonly kind: 'variable';
  readonly name: string;
}

/** A string literal in a marker (PEP 508 `python_str`), already decoded. */
export interface MarkerValueNode {
  readonly kind: 'value';
  readonly value: string;
}

/** Either side of a comparison (PEP 508 `marker_var`). */
export type MarkerOperand = MarkerVariableNode | MarkerValueNode;

/** One comparison (PEP 508 `marker_expr` without parentheses). */
export interface MarkerComparison {
  readonly kind: 'comparison';
  readonly lhs: MarkerOperand;
  readonly op: MarkerOperator;
  readonly rhs: MarkerOperand;
}

/** A comparison or a parenthesised sub-expression. */
export type MarkerAtom = MarkerComparison | MarkerList;

/** Atoms joined by boolean operators, left to right: `[atom, "and", atom, "or", atom]`. */
export type MarkerList = readonly (MarkerAtom | 'and' | 'or')[];

/** What a requirement string is made of, before its parts are turned into values. */
export interface ParsedRequirement {
  readonly name: string;
  /** `""` when there is none, as in packaging. */
  readonly url: string;
  readonly extras: readonly string[];
  /** The specifier text as written, commas included, whitespace between clauses dropped. */
  readonly specifier: string;
  readonly marker: MarkerList | null;
}

// --------------------------------------------------------------------------------------------
// Dependency specifiers
// --------------------------------------------------------------------------------------------

/** Parses a whole dependency specifier (PEP 508 `specification`). */
export function parseRequirementText(source: string, code: ErrorCode = 'INVALID_REQUIREMENT'): ParsedRequirement {
  const tokenizer = new Tokenizer(source, code, 'requirement');
  // requirement = WS? IDENTIFIER WS? extras WS? requirement_details
  tokenizer.consume('WS');
  const name = tokenizer.expect('IDENTIFIER', 'package name at the start of dependency specifier').text;
  tokenizer.consume('WS');
  const extras = parseExtras(tokenizer);
  tokenizer.consume('WS');
  const { url, specifier, marker } = parseRequirementDetails(tokenizer);
  tokenizer.expect('END', 'end of dependency specifier');
  return { name, url, extras, specifier, marker };
}

/**
 * requirement_details = AT URL (WS requirement_marker?)?
 *                     | specifier WS? (requirement_marker)?
 */
function parseRequirementDetails(tokenizer: Tokenizer): {
  url: string;
  specifier: string;
  marker: MarkerList | null;
} {
  if (tokenizer.check('AT')) {
    tokenizer.read();
    tokenizer.consume('WS');
    const urlStart = tokenizer.position;
    const url = tokenizer.expect('URL', 'URL after @').text;
    if (tokenizer.check('END', true)) return { url, specifier: '', marker: null };
    tokenizer.expect('WS', 'whitespace after URL');
    if (tokenizer.check('END', true)) return { url, specifier: '', marker: null };
    const marker = parseRequirementMarker(tokenizer, urlStart, 'URL and whitespace');
    return { url, specifier: '', marker };
  }
  const specifierStart = tokenizer.position;
  const specifier = parseSpecifier(tokenizer);
  tokenizer.consume('WS');
  if (tokenizer.check('END', true)) return { url: '', specifier, marker: null };
  const marker = parseRequirementMarker(
    tokenizer,
    specifierStart,
    specifier ? 'version specifier' : 'name and no valid version specifier',
  );
  return { url: '', specifier, marker };
}

/** requirement_marker = SEMICOLON marker WS? */
function parseRequirementMarker(tokenizer: Tokenizer, spanStart: number, after: string): MarkerList {
  if (!tokenizer.check('SEMICOLON')) {
    tokenizer.raiseSyntaxError(`Expected end or semicolon (after ${after})`, spanStart);
  }
  tokenizer.read();
  const marker = parseMarkerList(tokenizer);
  tokenizer.consume('WS');
  return marker;
}

/** extras = (LEFT_BRACKET wsp* extras_list? wsp* RIGHT_BRACKET)? */
function parseExtras(tokenizer: Tokenizer): string[] {
  if (!tokenizer.check('LEFT_BRACKET', true)) return [];
  return tokenizer.enclosingTokens('LEFT_BRACKET', 'RIGHT_BRACKET', 'extras', () => {
    tokenizer.consume('WS');
    const extras = parseExtrasList(tokenizer);
    tokenizer.consume('WS');
    return extras;
  });
}

/** extras_list = identifier (wsp* ',' wsp* identifier)* */
function parseExtrasList(tokenizer: Tokenizer): string[] {
  const extras: string[] = [];
  if (!tokenizer.check('IDENTIFIER')) return extras;
  extras.push(tokenizer.read().text);
  for (;;) {
    tokenizer.consume('WS');
    if (tokenizer.check('IDENTIFIER', true)) {
      tokenizer.raiseSyntaxError('Expected comma between extra names');
    } else if (!tokenizer.check('COMMA')) {
      break;
    }
    tokenizer.read();
    tokenizer.consume('WS');
    extras.push(tokenizer.expect('IDENTIFIER', 'extra name after comma').text);
  }
  return extras;
}

/**
 * specifier = LEFT_PARENTHESIS WS? version_many WS? RIGHT_PARENTHESIS
 *           | WS? version_many WS?
 */
function parseSpecifier(tokenizer: Tokenizer): string {
  return tokenizer.enclosingTokens('LEFT_PARENTHESIS', 'RIGHT_PARENTHESIS', 'version specifier', () => {
    tokenizer.consume('WS');
    const specifiers = parseVersionMany(tokenizer);
    tokenizer.consume('WS');
    return specifiers;
  });
}

/** version_many = (SPECIFIER (WS? COMMA WS? SPECIFIER)*)? */
function parseVersionMany(tokenizer: Tokenizer): string {
  let specifiers = '';
  while (tokenizer.check('SPECIFIER')) {
    const spanStart = tokenizer.position;
    specifiers += tokenizer.read().text;
    if (tokenizer.check('VERSION_PREFIX_TRAIL', true)) {
      tokenizer.raiseSyntaxError(
        '.* suffix can only be used with `==` or `!=` operators',
        spanStart,
        tokenizer.position + 1,
      );
    }
    if (tokenizer.check('VERSION_LOCAL_LABEL_TRAIL', true)) {
      tokenizer.raiseSyntaxError(
        'Local version label can only be used with `==` or `!=` operators',
        spanStart,
        tokenizer.position,
      );
    }
    tokenizer.consume('WS');
    if (!tokenizer.check('COMMA')) break;
    specifiers += tokenizer.read().text;
    tokenizer.consume('WS');
  }
  return specifiers;
}

// --------------------------------------------------------------------------------------------
// Environment markers
// --------------------------------------------------------------------------------------------

/** Parses a whole marker expression (PEP 508 `marker`). */
export function parseMarkerText(source: string): MarkerList {
  const tokenizer = new Tokenizer(source, 'INVALID_MARKER', 'marker');
  const list = parseMarkerList(tokenizer);
  tokenizer.expect('END', 'end of marker expression');
  return list;
}

/** marker = marker_atom (BOOLOP marker_atom)+ */
function parseMarkerList(tokenizer: Tokenizer): MarkerList {
  const expression: (MarkerAtom | 'and' | 'or')[] = [parseMarkerAtom(tokenizer)];
  while (tokenizer.check('BOOLOP')) {
    const boolop = tokenizer.read().text as 'and' | 'or';
    expression.push(boolop, parseMarkerAtom(tokenizer));
  }
  return expression;
}

/**
 * marker_atom = WS? LEFT_PARENTHESIS WS? marker WS? RIGHT_PARENTHESIS WS?
 *             | WS? marker_item WS?
 */
function parseMarkerAtom(tokenizer: Tokenizer): MarkerAtom {
  tokenizer.consume('WS');
  let atom: MarkerAtom;
  if (tokenizer.check('LEFT_PARENTHESIS', true)) {
    atom = tokenizer.enclosingTokens('LEFT_PARENTHESIS', 'RIGHT_PARENTHESIS', 'marker expression', () => {
      tokenizer.consume('WS');
      const inner = parseMarkerList(tokenizer);
      tokenizer.consume('WS');
      return inner;
    });
  } else {
    atom = parseMarkerItem(tokenizer);
  }
  tokenizer.consume('WS');
  return atom;
}

/** marker_item = WS? marker_var WS? marker_op WS? marker_var WS? */
function parseMarkerItem(tokenizer: Tokenizer): MarkerComparison {
  tokenizer.consume('WS');
  const lhs = parseMarkerVar(tokenizer);
  tokenizer.consume('WS');
  const op = parseMarkerOp(tokenizer);
  tokenizer.consume('WS');
  const rhs = parseMarkerVar(tokenizer);
  tokenizer.consume('WS');
  return { kind: 'comparison', lhs, op, rhs };
}

/** marker_var = VARIABLE | QUOTED_STRING */
function parseMarkerVar(tokenizer: Tokenizer): MarkerOperand {
  if (tokenizer.check('VARIABLE')) {
    return variableNode(tokenizer.read().text.replace(/\./g, '_'));
  }
  if (tokenizer.check('QUOTED_STRING')) {
    const token = tokenizer.read();
    try {
      return { kind: 'value', value: decodePythonString(token.text) };
    } catch (e) {
      if (!(e instanceof PythonStringError)) throw e;
      // packaging lets ast.literal_eval's SyntaxError escape; we keep it a syntax error.
      return tokenizer.raiseSyntaxError(
        `Invalid string literal (${e.message})`,
        token.position,
        token.position + token.text.length,
      );
    }
  }
  return tokenizer.raiseSyntaxError('Expected a marker variable or quoted string');
}

/** The legacy spellings `python_implementation` and `platform.python_implementation` are aliases. */
function variableNode(name: string): MarkerVariableNode {
  return {
    kind: 'variable',
    name: name === 'python_implementation' ? 'platform_python_implementation' : name,
  };
}

/** marker_op = IN | NOT IN | OP */
function parseMarkerOp(tokenizer: Tokenizer): MarkerOperator {
  if (tokenizer.check('IN')) {
    tokenizer.read();
    return 'in';
  }
  if (tokenizer.check('NOT')) {
    tokenizer.read();
    tokenizer.expect('WS', "whitespace after 'not'");
    tokenizer.expect('IN', "'in' after 'not'");
    return 'not in';
  }
  if (tokenizer.check('OP')) return tokenizer.read().text as MarkerOperator;
  return tokenizer.raiseSyntaxError(
    'Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in',
  );
}
