// esbuild bundles `.yaml` files as plain text (scripts/build.mjs, loader '.yaml': 'text').
declare module '*.yaml' {
  const text: string;
  export default text;
}
