// Swagger UI over this server's OpenAPI document (ogc/templates/openapi/swagger.html): the
// document's address comes from the page, the assets from /static/vendor/swagger-ui.
(function () {
  const box = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: box.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
  });
})();
