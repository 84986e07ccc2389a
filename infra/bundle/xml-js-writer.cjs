// Stands in for `xml-js` in the Lambda bundles (esbuild alias, see aliases.ts). `feed` imports
// xml-js whole, which brings its XML *parser* (xml2js and sax, ~27 KB minified); `feed` and
// Dateline only write XML, so the bundles get the writer alone. The path is relative because an
// alias of "xml-js" would also rewrite "xml-js/lib/…"; node_modules sits at the repository root.
module.exports = { js2xml: require("../../node_modules/xml-js/lib/js2xml.js") };
