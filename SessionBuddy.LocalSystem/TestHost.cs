using SessionBuddy.LocalSystem.Hosting;

namespace SessionBuddy.LocalSystem;

/// <summary>The part both fixtures share: a temporary data directory and an orchestrator configured for tests.</summary>
internal static class TestHost
{
    public static Orchestrator CreateOrchestrator(FixtureOptions options, out string dataDirectory)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        dataDirectory = Path.Combine(Path.GetTempPath(), "sessionbuddy-test-" + runId);
        Directory.CreateDirectory(dataDirectory);
        var appHostOptions = new HostOptions
        {
            DataDirectory = dataDirectory,
            GatewayPort = 0,
            ExternalPostgres = options.ExternalPostgres,
            ExternalRabbitMq = options.ExternalRabbitMq,
            DatabaseSuffix = options.ExternalPostgres is null ? "" : "_t" + runId,
            StartupTimeout = options.StartupTimeout,
            Echo = options.Echo,
            OllamaConnectionString = null,
            OtlpEndpoint = options.OtlpEndpoint,
            Replicas = options.Replicas,
        };
        // Throwaway data: durability only costs time here (a killed process still loses nothing committed).
        appHostOptions.PostgresSettings["fsync"] = "off";
        appHostOptions.PostgresSettings["synchronous_commit"] = "off";
        appHostOptions.PostgresSettings["full_page_writes"] = "off";

        var model = appHostOptions.BuildModel();
        var missing = PrerequisiteCheck.Run(appHostOptions, model, needProjects: false);
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(PrerequisiteCheck.Describe(missing));
        }
        return new Orchestrator(model, appHostOptions);
    }

    public static async Task DisposeAsync(Orchestrator orchestrator, IEnumerable<string> createdDatabases, bool external, FixtureOptions options, string dataDirectory)
    {
        try
        {
            await orchestrator.StopAsync();
            if (external)
            {
                foreach (var database in createdDatabases)
                {
                    await orchestrator.Postgres.DropDatabaseAsync(database);
                }
            }
        }
        finally
        {
            await orchestrator.DisposeAsync();
            if (!options.KeepDataDirectory)
            {
                try
                {
                    Directory.Delete(dataDirectory, recursive: true);
                }
                catch (IOException)
                {
                    // A straggler still writing; the directory is in /tmp.
                }
            }
        }
    }
}
