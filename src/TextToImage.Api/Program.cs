using TextToImage.Api.Infrastructure;
using TextToImage.Service.Hosting;

return SettingsErrors.Run(args, hostArgs =>
{
    var builder = WebApplication.CreateBuilder(hostArgs);
    builder.Configuration.AddAppFolderSettings();
    builder.AddTextToImageApi();

    var app = builder.Build();
    SettingsErrors.Validate(app.Services);   // before the endpoints read their settings
    app.MapTextToImageApi();
    return app;
});

/// <summary>The API host; public so integration tests can start it.</summary>
public partial class Program;
