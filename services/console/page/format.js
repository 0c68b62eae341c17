// Number and time formatting shared by the panels.

/** @param {number | null | undefined} ms */
export function clock(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** @param {number | null | undefined} ms */
export function dateTime(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const d = new Date(ms);
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${clock(ms)}`;
}

/** @param {number | null | undefined} value @param {number} [digits] */
export function num(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** @param {number | null | undefined} share */
export function percent(share) {
  return share === null || share === undefined || !Number.isFinite(share) ? '–' : `${(share * 100).toFixed(1)} %`;
}

/** Versions the model store numbers ('2') read as 'v2'; other names as they are. @param {string | null | undefined} version */
export function versionLabel(version) {
  if (version === null || version === undefined || version === '') return '–';
  return /^\d+$/.test(version) ? `v${version}` : version;
}
