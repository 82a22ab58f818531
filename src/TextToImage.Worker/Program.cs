using TextToImage.Service.Hosting;

// A Hangfire server for the generation queue and nothing else: run one per device, pointed at the
// same database and blob store as the API nodes (Jobs:InProcessWorker=false there).
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddAppFolderSettings();
builder.Services.AddTextToImageService(builder.Configuration, builder.Environment, runWorker: true);
builder.Build().Run();
