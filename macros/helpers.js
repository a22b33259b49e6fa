// JavaScript helper macros: every exported function is a Handlebars helper.
// Arguments arrive first, Handlebars' options object last; the return value is SQL text.

/** `{{safe_divide "a" "b"}}` → a / b, or null where b is 0. */
export function safe_divide(numerator, denominator) {
  return `(${numerator}) / nullif(${denominator}, 0)`;
}

/** `{{in_list "upi" "card"}}` → ('upi', 'card'). */
export function in_list(...args) {
  const values = args.slice(0, -1);
  return `(${values.map((v) => `'${String(v).replaceAll("'", "''")}'`).join(', ')})`;
}
