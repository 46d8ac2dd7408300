import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Daycare API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/docs.css"></head>
<body><header><h1>Daycare API</h1><p>Generated from <a href="/openapi.json">/openapi.json</a>. Every route but /auth/exchange, /health/* and the docs needs the session cookies; unsafe methods also need <code>X-CSRF-Token</code>.</p></header>
<main id="routes">Loading…</main><script src="/docs/assets/docs.js" defer></script></body></html>`;

const CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem;color:#1d232a}
h1{margin:.2rem 0}section{border:1px solid #dde;border-radius:8px;margin:.6rem 0;padding:.4rem .8rem}
summary{cursor:pointer;font-family:ui-monospace,monospace}.m{display:inline-block;min-width:4.5rem;font-weight:700}
.GET{color:#1769aa}.POST{color:#1b7f3a}.PATCH,.PUT{color:#a15c00}.DELETE{color:#b3261e}pre{background:#f5f6f8;padding:.6rem;overflow:auto;font-size:12px}`;

// Renders the OpenAPI document without any third-party asset, so the page works offline.
const JS = `fetch('/openapi.json').then(r=>r.json()).then(doc=>{
const main=document.getElementById('routes');main.textContent='';
const esc=s=>String(s).replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
for(const [path,ops] of Object.entries(doc.paths||{})){for(const [method,op] of Object.entries(ops)){
const s=document.createElement('section');const M=method.toUpperCase();
const body=op.requestBody?JSON.stringify(op.requestBody.content['application/json']?.schema??{},null,2):'';
const ok=Object.entries(op.responses||{}).map(([k,v])=>k+' '+esc(v.description||'')).join('<br>');
s.innerHTML='<details><summary><span class="m '+M+'">'+M+'</span>'+esc(path)+' — '+esc(op.summary||'')+'</summary>'+
(op.description?'<p>'+esc(op.description)+'</p>':'')+(body?'<h4>Request body</h4><pre>'+esc(body)+'</pre>':'')+'<h4>Responses</h4><p>'+ok+'</p></details>';
main.appendChild(s);}}}).catch(e=>{document.getElementById('routes').textContent='Could not load the document: '+e});`;

export function registerDocsRoutes(app: OpenAPIHono<AppEnv>) {
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Daycare API',
      version: '1.0.0',
      description: 'Multi-tenant childcare centre API. Errors: {"error": {"code", "message", "requestId", "details"?}}.',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', { type: 'apiKey', in: 'cookie', name: '__Host-session' });
  const docsCsp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'";
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', docsCsp);
    return c.html(PAGE);
  });
  app.get('/docs/assets/docs.js', (c) => {
    c.header('Content-Security-Policy', docsCsp);
    return c.body(JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
  app.get('/docs/assets/docs.css', (c) => c.body(CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
}
