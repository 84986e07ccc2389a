// Stands in for `sax` in the Lambda bundles (esbuild alias, see infra/stack.ts). `feed` loads
// xml-js whole, and xml-js's XML *parser* needs sax; Dateline only writes XML (js2xml), so the
// 21 KB parser is never called. If anything ever does call it, it fails loudly here.
module.exports = {
  parser() {
    throw new Error("sax is not in this bundle: xml-js's xml2js is unused by Dateline");
  },
};
