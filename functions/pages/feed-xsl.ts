/**
 * The XSLT 1.0 stylesheet that RSS and Atom documents name in their `<?xml-stylesheet?>`
 * instruction, served at /feed.xsl. A browser that opens a feed shows it as a readable page:
 * what a feed is, the address to copy into a reader, and the items. Feed readers ignore it.
 *
 * It reads Dateline's own output: RSS item descriptions and Atom `type="html"` titles and
 * summaries hold HTML-escaped plain text, which the `unescape` template turns back into text
 * (no disable-output-escaping, which Firefox ignores). Everything is inline: no external assets.
 */
export const FEED_XSL = `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <xsl:template match="/">
    <xsl:variable name="rss" select="/rss/channel"/>
    <xsl:variable name="atom" select="/atom:feed"/>
    <xsl:variable name="title" select="normalize-space($rss/title | $atom/atom:title)"/>
    <xsl:variable name="self" select="($rss/atom:link[@rel='self'] | $atom/atom:link[@rel='self'])/@href"/>
    <xsl:variable name="home" select="$rss/link | $atom/atom:link[@rel='alternate']/@href"/>
    <xsl:variable name="next" select="($rss/atom:link[@rel='next'] | $atom/atom:link[@rel='next'])/@href"/>
    <xsl:variable name="first" select="($rss/atom:link[@rel='first'] | $atom/atom:link[@rel='first'])/@href"/>
    <xsl:variable name="format">
      <xsl:choose>
        <xsl:when test="$rss">RSS</xsl:when>
        <xsl:otherwise>Atom</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <html lang="{($rss/language | $atom/@xml:lang)[1]}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title><xsl:value-of select="$title"/> (<xsl:value-of select="$format"/> feed)</title>
        <style>
body{font:17px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}
a{color:#0b57d0}h1{line-height:1.25;margin-bottom:.3rem}h2{font-size:1.1rem;margin:0}
.about{background:#eef4ff;border:1px solid #b6cdf5;border-radius:8px;padding:.8rem 1rem;margin:1.5rem 0}
.about p{margin:.4rem 0}.address{display:block;padding:.4rem .6rem;background:#fff;border:1px solid #b6cdf5;border-radius:4px;overflow-wrap:anywhere;font:15px/1.4 ui-monospace,monospace;user-select:all}
.description{color:#444}ol.items{list-style:none;padding:0}ol.items li{margin:0 0 1.4rem}
.meta{color:#666;font-size:.85rem;margin:.1rem 0}.summary{margin:.2rem 0}nav{margin:2rem 0}
@media (prefers-color-scheme:dark){body{background:#141414;color:#e6e6e6}a{color:#8ab4f8}.about{background:#1c2533;border-color:#35507a}.address{background:#141414;border-color:#35507a}.description{color:#bbb}.meta{color:#aaa}}
        </style>
      </head>
      <body>
        <header>
          <h1><xsl:value-of select="$title"/></h1>
          <p class="description"><xsl:value-of select="normalize-space($rss/description | $atom/atom:subtitle)"/></p>
          <xsl:if test="$home">
            <p><a href="{$home}">Visit the website</a></p>
          </xsl:if>
        </header>
        <section class="about" aria-labelledby="about-title">
          <p id="about-title"><strong>This is a web feed</strong>, also called an <xsl:value-of select="$format"/> feed.</p>
          <p>A feed reader (news reader) app checks it for you and shows every new article as soon as it is published: no account, no e-mail address, no algorithm deciding what you see. To subscribe, copy this address into your reader:</p>
          <p><code class="address"><xsl:value-of select="$self"/></code></p>
          <p>Readers include NetNewsWire, Feedly, Inoreader, Miniflux and Thunderbird; most let you paste the address of the website itself, too.</p>
        </section>
        <main>
          <h2>
            <xsl:choose>
              <xsl:when test="$first">Older articles</xsl:when>
              <xsl:otherwise>Latest articles</xsl:otherwise>
            </xsl:choose>
          </h2>
          <ol class="items">
            <xsl:apply-templates select="$rss/item | $atom/atom:entry"/>
          </ol>
          <xsl:if test="not($rss/item | $atom/atom:entry)">
            <p>No articles yet.</p>
          </xsl:if>
          <xsl:if test="$next or $first">
            <nav>
              <xsl:if test="$first"><a href="{$first}">Newest articles</a></xsl:if>
              <xsl:if test="$next and $first"> · </xsl:if>
              <xsl:if test="$next"><a rel="next" href="{$next}">Older articles</a></xsl:if>
            </nav>
          </xsl:if>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <p class="meta">
        <xsl:call-template name="rfc822-date">
          <xsl:with-param name="value" select="normalize-space(pubDate)"/>
        </xsl:call-template>
        <xsl:call-template name="byline">
          <xsl:with-param name="names" select="dc:creator"/>
        </xsl:call-template>
      </p>
      <xsl:if test="description">
        <p class="summary">
          <xsl:call-template name="unescape">
            <xsl:with-param name="text" select="description"/>
          </xsl:call-template>
        </p>
      </xsl:if>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <h2>
        <a href="{(atom:link[@rel='alternate'] | atom:link[not(@rel)])[1]/@href}">
          <xsl:call-template name="atom-text">
            <xsl:with-param name="node" select="atom:title"/>
          </xsl:call-template>
        </a>
      </h2>
      <p class="meta">
        <xsl:call-template name="iso-date">
          <xsl:with-param name="value" select="atom:published | atom:updated[not(../atom:published)]"/>
        </xsl:call-template>
        <xsl:call-template name="byline">
          <xsl:with-param name="names" select="atom:author/atom:name"/>
        </xsl:call-template>
      </p>
      <xsl:if test="atom:summary">
        <p class="summary">
          <xsl:call-template name="atom-text">
            <xsl:with-param name="node" select="atom:summary"/>
          </xsl:call-template>
        </p>
      </xsl:if>
    </li>
  </xsl:template>

  <!-- " · Ana, Ben" after the date: the authors of an RSS item or an Atom entry. -->
  <xsl:template name="byline">
    <xsl:param name="names"/>
    <xsl:for-each select="$names">
      <xsl:choose>
        <xsl:when test="position() = 1"> · </xsl:when>
        <xsl:otherwise>, </xsl:otherwise>
      </xsl:choose>
      <xsl:value-of select="."/>
    </xsl:for-each>
  </xsl:template>

  <!-- Atom text constructs: type="html" holds escaped markup, text is shown as it is. -->
  <xsl:template name="atom-text">
    <xsl:param name="node"/>
    <xsl:choose>
      <xsl:when test="$node/@type = 'html'">
        <xsl:call-template name="unescape">
          <xsl:with-param name="text" select="$node"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$node"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- HTML-escaped text back to text: the five references the feeds write, one pass. -->
  <xsl:template name="unescape">
    <xsl:param name="text"/>
    <xsl:choose>
      <xsl:when test="contains($text, '&amp;')">
        <xsl:value-of select="substring-before($text, '&amp;')"/>
        <xsl:variable name="rest" select="substring-after($text, '&amp;')"/>
        <xsl:choose>
          <xsl:when test="starts-with($rest, 'amp;')">&amp;<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, 'lt;')">&lt;<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, 'gt;')">&gt;<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, 'quot;')">"<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 6)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, '#39;')">'<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template></xsl:when>
          <xsl:otherwise>&amp;<xsl:call-template name="unescape"><xsl:with-param name="text" select="$rest"/></xsl:call-template></xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "Tue, 05 Mar 2024 00:30:00 GMT" → <time datetime="2024-03-05">5 Mar 2024</time> -->
  <xsl:template name="rfc822-date">
    <xsl:param name="value"/>
    <xsl:variable name="date" select="normalize-space(substring-after($value, ','))"/>
    <xsl:variable name="day" select="substring-before($date, ' ')"/>
    <xsl:variable name="month" select="substring(substring-after($date, ' '), 1, 3)"/>
    <xsl:variable name="year" select="substring(substring-after(substring-after($date, ' '), ' '), 1, 4)"/>
    <xsl:variable name="m" select="string-length(substring-before($months, $month)) div 3 + 1"/>
    <time datetime="{$year}-{format-number($m, '00')}-{format-number($day, '00')}">
      <xsl:value-of select="concat(number($day), ' ', $month, ' ', $year)"/>
    </time>
  </xsl:template>

  <!-- "2024-03-05T00:30:00.000Z" → <time datetime="2024-03-05">5 Mar 2024</time> -->
  <xsl:template name="iso-date">
    <xsl:param name="value"/>
    <xsl:variable name="m" select="number(substring($value, 6, 2))"/>
    <time datetime="{substring($value, 1, 10)}">
      <xsl:value-of select="concat(number(substring($value, 9, 2)), ' ', substring($months, ($m - 1) * 3 + 1, 3), ' ', substring($value, 1, 4))"/>
    </time>
  </xsl:template>
</xsl:stylesheet>
`;

/**
 * Last-Modified of /feed.xsl. Bump it when FEED_XSL changes: clients that revalidate with
 * If-None-Match (browsers, CloudFront) see the new ETag anyway, If-Modified-Since-only ones
 * need the date.
 */
export const FEED_XSL_MODIFIED = new Date("2026-11-30T02:50:00Z");
