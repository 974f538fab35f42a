using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SessionBuddy.ServiceDefaults.Scheduling;

namespace SessionBuddy.ServiceDefaults.Data;

public static class ServiceDatabaseExtensions
{
    /// <summary>
    /// Statements a service runs again and again are prepared once per connection instead of parsed and
    /// planned on every call (Npgsql's <c>Max Auto Prepare</c>), unless the connection string says otherwise.
    /// PostgreSQL may then run them with a generic plan, in which parameters are not constants.
    /// </summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>
    /// Registers the service's PostgreSQL database (connection string <c>ConnectionStrings:{connectionName}</c>),
    /// its readiness check, the migrations embedded in <paramref name="migrationsAssembly"/> and those of shared libraries
    /// (<see cref="SharedMigrations"/>; applied at start-up, before the bus starts), and the claims of scheduled
    /// jobs (<see cref="ScheduledJob"/>). The transactional outbox and inbox are SessionBuddy.Messaging's (<c>AddOutbox</c>).
    /// Call it before <c>AddServiceBus</c>.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase(
        this IHostApplicationBuilder builder, string connectionName, Assembly migrationsAssembly)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException(
                $"Missing connection string '{connectionName}': set ConnectionStrings__{connectionName} " +
                "(e.g. Host=127.0.0.1;Port=5432;Username=postgres;Database=" + connectionName + ").");

        builder.Services.AddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = connectionName };
            // One span per command with its SQL; not the extra "received first response" event on each of them.
            dataSource.ConfigureTracing(tracing => tracing.EnableFirstResponseEvent(false));
            if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = MaxAutoPrepare;
            }
            return dataSource.Build();
        });
        builder.Services.AddSingleton(new DatabaseMigrations(connectionName, migrationsAssembly));
        builder.Services.AddHostedService<DatabaseMigrator>();

        builder.Services.AddSingleton<ScheduledRuns>();

        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(connectionName, HealthStatus.Unhealthy, ["ready", "db"]);
        return builder;
    }

    private sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("database unreachable", ex);
            }
        }
    }
}
