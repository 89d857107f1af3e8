// Text that is not ours to format (schema descriptions, spec values) shown in Markdown hovers and completion
// docs: characters Markdown would read as markup are escaped, so "hosts/<name>.yaml" keeps its "<name>". Code
// spans written in schema descriptions (`<host>:<interface>`) stay code spans.
const MARKUP = /[\\<>*_[\]#|~]/g;

export function escapeMarkdown(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(MARKUP, '\\$&')))
    .join('');
}
