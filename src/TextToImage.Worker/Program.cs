using TextToImage.Service.Hosting;

// A Hangfire server for the generation queue and nothing else: run one per device, pointed at the
// same database and blob store as the API nodes (Jobs:InProcessWorker=false there).
return SettingsErrors.Run(args, hostArgs =>
{
    var builder = Host.CreateApplicationBuilder(hostArgs);
    builder.Configuration.AddAppFolderSettings();
    builder.AddTextToImageService(HostRole.Worker);
    var host = builder.Build();
    SettingsErrors.Validate(host.Services);
    return host;
});
