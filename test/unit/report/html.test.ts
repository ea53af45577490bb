import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from '../../../lib/report/html';
import { sampleReport } from './sampleReport';

const VOID = new Set(['meta', 'br', 'img', 'hr', 'link', 'input', 'col', 'source', 'wbr']);

/** Every opened tag is closed in order (void and self-closing tags excepted); returns the problems. */
function unbalancedTags(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = html.replace(/<!DOCTYPE[^>]*>/i, '').replace(/<style>[\s\S]*?<\/style>/g, '<style></style>');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*?)(\/?)>/g)) {
    const [, closing, rawName, , selfClosing] = m;
    const name = rawName.toLowerCase();
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}> at ${m.index}`);
    } else if (!selfClosing && !VOID.has(name)) {
      stack.push(name);
    }
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  // a stray '<' or '>' outside tags would mean unescaped text
  const text = body.replace(/<\/?[a-zA-Z][^<>]*>/g, '');
  if (/[<>]/.test(text)) problems.push(`unescaped angle bracket in text: ${text.match(/.{0,30}[<>].{0,30}/)![0]}`);
  return problems;
}

test('report.html escapes every text and is well-formed', () => {
  const r = sampleReport();
  r.experiment = '<script>alert("x")</script> & co';
  r.cells[0].loss = r.cells[1].loss = 'a<b>';
  r.backend.device = 'GPU "A&B"';
  r.timings['stage <1>'] = 3.25;
  const html = renderHtml(r, { attentionFigurePng: 'fig "1".png' });
  assert.deepEqual(unbalancedTags(html), []);
  assert.ok(!html.includes('<script>'), 'no raw script tag');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'));
  assert.ok(html.includes('a&lt;b&gt; + BGAugment'));
  assert.ok(html.includes('GPU &quot;A&amp;B&quot;'));
  assert.ok(html.includes('src="fig &quot;1&quot;.png"'));
  assert.ok(html.includes('stage &lt;1&gt;'));
});

test('report.html carries the tables, the chart, the effect and no external assets', () => {
  const html = renderHtml(sampleReport());
  for (const s of ['52.34', '31.00 ± 1.58', '24.00 ± 0.50', '0.70 ± 0.05', '<svg', '12.3'])
    assert.ok(html.includes(s), `missing ${s}`);
  // effect cards: drops x 100 (15.67 and 1.665, a decimal tie that binary rounding may take either way)
  // and the ratio 9.41
  for (const s of ['15.67', '9.41×']) assert.ok(html.includes(s), `missing effect value ${s}`);
  assert.match(html, /BGAugment: mean MAP@R drop<\/div><div class="v">1\.6[67]</);
  assert.ok(!/<link|<script|src="http|url\(/i.test(html), 'self-contained');
  assert.ok(!html.includes('<img'), 'no figure without one');
  assert.deepEqual(unbalancedTags(html), []);
});
