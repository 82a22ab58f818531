using TextToImage.Api.Infrastructure;
using TextToImage.Service.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddAppFolderSettings();
builder.AddTextToImageApi();

var app = builder.Build();
app.MapTextToImageApi();
app.Run();

/// <summary>The API host; public so integration tests can start it.</summary>
public partial class Program;
