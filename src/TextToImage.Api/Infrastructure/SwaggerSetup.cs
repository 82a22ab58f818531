using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace TextToImage.Api.Infrastructure;

/// <summary>The OpenAPI document from the endpoints' XML comments, with the API-key scheme, and the Swagger UI.</summary>
static class SwaggerSetup
{
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddEndpointsApiExplorer().AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "TextToImage API",
                Version = "v1",
                Description = "Queue text-to-image jobs on an Imagen-style diffusion cascade, follow them, download the PNGs.",
            });
            foreach (var assembly in new[] { typeof(SwaggerSetup).Assembly, typeof(Service.Jobs.GenerationRecord).Assembly })
            {
                var xml = Path.Combine(AppContext.BaseDirectory, assembly.GetName().Name + ".xml");
                if (File.Exists(xml)) swagger.IncludeXmlComments(xml, includeControllerXmlComments: true);
            }
            // Required and nullable as the C# types say, which is what the server sends and accepts.
            swagger.SupportNonNullableReferenceTypes();
            swagger.NonNullableReferenceTypesAsRequired();
            // A nullable object property as allOf [$ref] + nullable: a bare $ref cannot say that null is sent.
            swagger.UseAllOfToExtendReferenceSchemas();
            swagger.OperationFilter<OpenApiContract>();
            swagger.SchemaFilter<OpenApiContract>();
            swagger.DocumentFilter<OpenApiContract>();
        }).AddOptions<SwaggerGenOptions>().Configure<ApiKeys>((swagger, keys) =>
        {
            // Lock icons and the Authorize button only where a key is asked for: on an open service they would mislead.
            if (!keys.Required) return;
            swagger.AddSecurityDefinition("ApiKey", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeys.HeaderName,
                Description = "This service is configured with API keys (Api:ApiKeys): send one in this header or as 'Authorization: Bearer <key>'.",
            });
            swagger.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
        }).Services;
}
