// The one rule for a model name, wherever a name enters: events (codec), Redis keys (store),
// model directories (model store), retrain keys. A name is one safe token: letters, digits,
// '.', '_' and '-', starting with a letter or digit, at most 128 characters. That keeps it a
// valid directory name (no separator, no leading dot, no '..'), inside one Redis Cluster hash
// tag (no braces), and short enough for keys and log lines.
export const MAX_MODEL_NAME_LENGTH = 128;
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

let lastValid = '';

/** Why `model` is not a valid model name, or null when it is. */
export function modelNameProblem(model: unknown): string | null {
  if (typeof model !== 'string') return `model name must be a string, got ${typeof model}`;
  // Every event carries its model's name, and a stream's events mostly name the same model.
  if (model === lastValid) return null;
  if (MODEL_NAME_PATTERN.test(model)) {
    lastValid = model;
    return null;
  }
  const shown = model.length > 60 ? `${JSON.stringify(model.slice(0, 60))}… (${model.length} characters)` : JSON.stringify(model);
  return `invalid model name ${shown}: use letters, digits, '.', '_' and '-', starting with a letter or digit (at most ${MAX_MODEL_NAME_LENGTH})`;
}
