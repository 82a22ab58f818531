using TextToImage.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddTextToImageApi();

var app = builder.Build();
app.MapTextToImageApi();
app.Run();

/// <summary>The API host; public so integration tests can start it.</summary>
public partial class Program;
