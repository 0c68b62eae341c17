// A small element builder: every string from the API reaches the DOM as text, never as HTML.

/**
 * @param {string} tag  e.g. 'td' or 'span.chip.firing'
 * @param {Record<string, string> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const node = document.createElement(/** @type {string} */ (name));
  if (classes.length) node.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs ?? {})) node.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : String(child));
  }
  return node;
}

/** Replaces a panel's content; `empty` is shown when there is nothing. @param {HTMLElement} panel @param {Node[]} nodes @param {string} empty */
export function fill(panel, nodes, empty) {
  panel.replaceChildren(...(nodes.length ? nodes : [el('p.empty', null, empty)]));
}
