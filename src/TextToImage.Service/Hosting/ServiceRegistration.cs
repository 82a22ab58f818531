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

namespace TextToImage.Service.Hosting;

/// <summary>Wires what the API and the worker share: options, job store, blob store, models, Hangfire.</summary>
public static class ServiceRegistration
{
    /// <param name="runWorker">Whether this process also runs generation jobs (loads libtorch).</param>
    public static IServiceCollection AddTextToImageService(this IServiceCollection services, IConfiguration configuration,
        IHostEnvironment environment, bool runWorker)
    {
        var dataRoot = DataRoot.From(configuration, environment);
        services.AddSingleton(dataRoot);
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);
        services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section);
        services.AddOptions<BlobStorageOptions>().BindConfiguration(BlobStorageOptions.Section);

        // Read now, not on first use: Hangfire's server and storage are configured from these values.
        var jobs = configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        var jobsDatabase = configuration.GetConnectionString(JobsOptions.ConnectionStringName);
        if (jobs.Problems(jobsDatabase) is { Count: > 0 } problems)
            throw new OptionsValidationException(JobsOptions.Section, typeof(JobsOptions), problems);
        if (jobs.Storage == JobStoreEngine.Postgresql)
        {
            services.AddSingleton(provider => new PostgresJobStore(jobsDatabase!, provider.GetRequiredService<ILogger<PostgresJobStore>>()));
            services.AddSingleton<IJobStore>(provider => provider.GetRequiredService<PostgresJobStore>());
            services.AddHostedService<PostgresSchemaStartup>();
        }
        else
            services.AddSingleton<IJobStore>(_ => new SqliteJobStore(dataRoot.Resolve(jobs.Database, "jobs.db")));
        services.AddSingleton(BlobStore);
        services.AddSingleton(provider => new ModelCatalog(ModelFolders(provider, environment, dataRoot),
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

        services.AddHangfire(config =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            if (jobs.Storage == JobStoreEngine.Postgresql)
                config.UsePostgreSqlStorage(postgres => postgres.UseNpgsqlConnection(jobsDatabase), new PostgreSqlStorageOptions
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
                config.UseSQLiteStorage(dataRoot.Resolve(jobs.HangfireDatabase, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = jobs.QueuePollInterval });
            }
        });
        if (runWorker)
        {
            services.AddHangfireServer(server =>
            {
                server.Queues = [jobs.Queue];
                server.WorkerCount = jobs.WorkerCount;
                server.CancellationCheckInterval = TimeSpan.FromSeconds(1);
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
            services.AddHostedService<ModelWarmup>();
            // Hangfire stops its workers within its own shutdown timeout; the host must wait for it.
            services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        }
        return services;
    }

    static IBlobStore BlobStore(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<BlobStorageOptions>>().Value;
        return options.Provider switch
        {
            "filesystem" => new FileSystemBlobStore(provider.GetRequiredService<DataRoot>().Resolve(options.Folder, "images")),
            "azure" => new AzureBlobStore(options.ConnectionString
                ?? throw new OptionsValidationException(BlobStorageOptions.Section, typeof(BlobStorageOptions), ["Storage:ConnectionString is required for the azure provider."]),
                options.Container),
            "s3" => (options.AccessKey is null) == (options.SecretKey is null)
                ? new S3BlobStore(options.Container, options.ServiceUrl, options.Region, options.AccessKey, options.SecretKey)
                : throw new OptionsValidationException(BlobStorageOptions.Section, typeof(BlobStorageOptions),
                    ["Storage:AccessKey and Storage:SecretKey go together: set both, or neither to use the AWS SDK's credential chain."]),
            _ => throw new OptionsValidationException(BlobStorageOptions.Section, typeof(BlobStorageOptions),
                [$"Storage:Provider '{options.Provider}' is not supported; use 'filesystem', 'azure' or 's3'."]),
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
