/** "Restore as new cell": a `%%track` cell with a run's source and its parameter values. */
import { RunDetail } from './api';
import { pyLiteral } from './format';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PY_KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try while with yield').split(' ')
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An option value for the `%%track` line: bare when it has no spaces or quotes. */
export function optionValue(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  if (/^[^\s"']+$/.test(flat)) {
    return flat;
  }
  return `"${flat.replace(/"/g, "'")}"`;
}

function stem(path: string | null): string | null {
  if (!path) {
    return null;
  }
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Whether the source assigns `key` at top level (then it already carries the value). */
function assigns(source: string, key: string): boolean {
  return new RegExp(`^${escapeRegExp(key)}\\s*(:[^=\\n]*)?=(?!=)`, 'm').test(source);
}

export function restoreSource(run: RunDetail): string {
  const source = (run.source ?? '').replace(/\s+$/, '');
  const options = ['%%track'];
  if (run.name) {
    options.push('--name', optionValue(run.name));
  }
  if (run.experiment && run.experiment !== (stem(run.notebook) ?? 'default')) {
    options.push('--experiment', optionValue(run.experiment));
  }
  for (const tag of run.tags ?? []) {
    options.push('--tag', optionValue(tag));
  }
  const assignments: string[] = [];
  for (const [key, value] of Object.entries(run.params ?? {})) {
    if (assigns(source, key)) {
      continue; // the source sets it, to the value the run recorded
    }
    if (IDENT.test(key) && !PY_KEYWORDS.has(key)) {
      assignments.push(`${key} = ${pyLiteral(value)}`);
    } else {
      options.push('--param', optionValue(`${key}=${pyLiteral(value)}`));
    }
  }
  const lines = [options.join(' '), `# restored from nbtrack run ${run.run_id}`];
  if (assignments.length) {
    lines.push(...assignments);
  }
  lines.push(source);
  return lines.join('\n');
}
