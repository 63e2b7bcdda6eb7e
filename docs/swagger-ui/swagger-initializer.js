/* eslint-env browser */
/* global SwaggerUIBundle, SwaggerUIStandalonePreset */
'use strict';

// Loads the OpenAPI document of this server; "Try it out" calls the same origin (servers: [{url: '/'}]).
window.onload = function() {
  window.ui = SwaggerUIBundle({
    url: '/docs/openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayRequestDuration: true,
    // Keeps the token typed into "Authorize" across reloads (browser localStorage only).
    persistAuthorization: true,
    // Never load another document from ?url=… or ?configUrl=….
    queryConfigEnabled: false,
    presets: [ SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset ],
    plugins: [ SwaggerUIBundle.plugins.DownloadUrl ],
    layout: 'StandaloneLayout',
  });
};
