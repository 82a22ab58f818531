using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;
using TextToImage.Service.Requests;

using TextToImage.Service.Telemetry;

namespace TextToImage.Service.Hosting;

/// <summary>Wires what the API and the worker share: options, job store, blob store, models, Hangfire.</summary>
public static class ServiceRegistration
{
    /// <summary>
    /// Everything but the HTTP surface. Settings are read when services are first resolved, after
    /// they are validated, not while registering: Hangfire's storage and server are configured
    /// from the validated <see cref="JobsOptions"/> too.
    /// </summary>
    public static IHostApplicationBuilder AddTextToImageService(this IHostApplicationBuilder builder, HostRole role)
    {
        var services = builder.Services;
        var dataRoot = DataRoot.From(builder.Configuration, builder.Environment);
        services.AddSingleton(dataRoot);
        services.AddSingleton(TimeProvider.System);
        builder.AddTextToImageTelemetry(role);
        services.AddValidatedOptions<JobsOptions, JobsOptionsValidator>(JobsOptions.Section);
        services.AddValidatedOptions<ModelsOptions, ModelsOptionsValidator>(ModelsOptions.Section);
        services.AddValidatedOptions<BlobStorageOptions, BlobStorageOptionsValidator>(BlobStorageOptions.Section);
        services.AddValidatedOptions<WebhooksOptions, WebhooksOptionsValidator>(WebhooksOptions.Section);

        services.AddSingleton(JobStore);
        // Each store keeps its webhook outbox beside its jobs, so an event and its delivery are written in one transaction.
        services.AddSingleton(provider => (Webhooks.IWebhookOutbox)provider.GetRequiredService<IJobStore>());
        services.AddHostedService<PostgresSchemaStartup>();
        services.AddSingleton(BlobStore);
        services.AddSingleton(provider => new ModelCatalog(ModelFolders(provider, builder.Environment, dataRoot),
            provider.GetRequiredService<IOptions<ModelsOptions>>().Value.Default, provider.GetRequiredService<ILogger<ModelCatalog>>()));
        services.AddSingleton<CascadeEngine>();
        services.AddSingleton<IGenerationEngine>(provider => provider.GetRequiredService<CascadeEngine>());
        services.AddSingleton<GenerationRequestValidator>();
        services.AddSingleton<RunningJobs>();
        services.AddSingleton<IJobDispatcher, HangfireJobDispatcher>();
        services.AddSingleton<GenerationSubmitter>();
        services.AddSingleton<GenerationCanceller>();
        services.AddSingleton<JobDeletion>();
        services.AddHostedService<RetentionSchedule>();
        services.AddTransient<GenerationJob>();
        services.AddHostedService<JobRecovery>();
        services.AddHangfire((provider, config) => UseJobStorage(provider, config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()));

        // Which services exist cannot wait for the options: this one switch is read now.
        if (role == HostRole.Worker || builder.Configuration.GetValue($"{JobsOptions.Section}:{nameof(JobsOptions.InProcessWorker)}", true))
        {
            services.AddHangfireServer((provider, server) =>
            {
                var jobs = provider.GetRequiredService<IOptions<JobsOptions>>().Value;
                server.Queues = [jobs.Queue];
                // Each job has at least one image: a batch of MaxBatchImages needs as many jobs claimed at once.
                server.WorkerCount = jobs.MaxBatchImages;
                server.CancellationCheckInterval = TimeSpan.FromSeconds(1);
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
            services.AddHostedService<ModelWarmup>();
            // Hangfire stops its workers within its own shutdown timeout; the host must wait for it.
            services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        }
        return builder;
    }

    static string JobsDatabase(IServiceProvider provider) =>
        provider.GetRequiredService<IConfiguration>().GetConnectionString(JobsOptions.ConnectionStringName)!;

    static IJobStore JobStore(IServiceProvider provider)
    {
        var jobs = provider.GetRequiredService<IOptions<JobsOptions>>().Value;
        return jobs.Storage == JobStoreEngine.Postgresql
            ? new PostgresJobStore(JobsDatabase(provider), provider.GetRequiredService<ILogger<PostgresJobStore>>())
            : new SqliteJobStore(provider.GetRequiredService<DataRoot>().Resolve(jobs.Database, "jobs.db"));
    }

    static void UseJobStorage(IServiceProvider provider, IGlobalConfiguration config)
    {
        var jobs = provider.GetRequiredService<IOptions<JobsOptions>>().Value;
        if (jobs.Storage == JobStoreEngine.Postgresql)
            config.UsePostgreSqlStorage(postgres => postgres.UseNpgsqlConnection(JobsDatabase(provider)), new PostgreSqlStorageOptions
            {
                QueuePollInterval = jobs.QueuePollInterval,
                // A fetched job stays invisible to other servers while its server lives (heartbeats), and
                // comes back soon after it dies, not after a fixed 30 minutes.
                UseSlidingInvisibilityTimeout = true,
                InvisibilityTimeout = TimeSpan.FromMinutes(5),
                // Installed by PostgresJobStore under its migration lock: Hangfire's own installer
                // fails when several processes run it at once. So the storage connects on first use,
                // and a database that is down at start does not stop the host.
                PrepareSchemaIfNecessary = false,
            });
        else
        {
            SqliteNative.EnsureInitialized();
            config.UseSQLiteStorage(provider.GetRequiredService<DataRoot>().Resolve(jobs.HangfireDatabase, "hangfire.db"),
                new SQLiteStorageOptions { QueuePollInterval = jobs.QueuePollInterval });
        }
    }

    static IBlobStore BlobStore(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<BlobStorageOptions>>().Value;
        return options.Provider switch
        {
            BlobStorageProvider.Azure => new AzureBlobStore(options.ConnectionString!, options.Container),
            BlobStorageProvider.S3 => new S3BlobStore(options.Container, options.ServiceUrl, options.Region, options.AccessKey, options.SecretKey),
            _ => new FileSystemBlobStore(provider.GetRequiredService<DataRoot>().Resolve(options.Folder, "images")),
        };
    }

    /// <summary>
    /// Relative folders are looked for under the content root, the application's folder (where a
    /// bundled model is copied) and the data root; every one that exists counts.
    /// </summary>
    static IEnumerable<string> ModelFolders(IServiceProvider provider, IHostEnvironment environment, DataRoot dataRoot) =>
        provider.GetRequiredService<IOptions<ModelsOptions>>().Value.SearchedFolders.SelectMany(folder => Path.IsPathRooted(folder)
                ? [folder]
                : new[] { environment.ContentRootPath, AppContext.BaseDirectory, dataRoot.Path }.Select(root => Path.GetFullPath(folder, root)))
            .Distinct(StringComparer.Ordinal)
            .Where(Directory.Exists);
}

/// <summary>What a host is: an API process (which also runs jobs when <c>Jobs:InProcessWorker</c>) or a worker process.</summary>
public enum HostRole
{
    Api,
    Worker,
}
