using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Messaging;
using SessionBuddy.ServiceDefaults.Configuration;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.WorkerPool.Confinement;
using SessionBuddy.WorkerPool.Pools;
using SessionBuddy.WorkerPool.Tasks;
using SessionBuddy.WorkerPool.Workers;
using SessionBuddy.WorkerPool.Workspaces;

namespace SessionBuddy.WorkerPool.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase("workerpooldb", typeof(Extensions).Assembly);
        builder.AddOutbox();

        builder.Services.AddValidatedOptions<WorkerPoolOptions>(WorkerPoolOptions.SectionName)
            .Configure(o => o.AkoshaEndpoint ??= builder.Configuration["Akosha:Endpoint"]);
        builder.Services.AddSingleton<WorkerTypes>();
        builder.Services.AddSingleton(provider => TaskConfinement.From(provider.GetRequiredService<IOptions<WorkerPoolOptions>>().Value.Confinement));
        builder.Services.AddHostedService<ConfinementStartupLog>();
        builder.Services.AddSingleton<PoolRules>();
        builder.Services.AddSingleton<PoolStore>();
        builder.Services.AddSingleton<PoolShutdowns>();
        builder.Services.AddSingleton<TaskStore>();
        builder.Services.AddSingleton<TaskWorkspaces>();
        builder.Services.AddSingleton<TaskDispatcher>();
        builder.Services.AddSingleton<InstanceIdentity>();
        // Registered after the migrator and before the bus: orphaned tasks are failed before new work arrives.
        builder.Services.AddHostedService<InstanceRegistry>();

        builder.AddServiceBus(ServiceNames.WorkerPool, bus => bus.AddConsumers(typeof(Extensions).Assembly));
        // After the bus: prepares sessions once it runs, and returns unused ones before it stops.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TaskWorkspaces>());
        // Last: on SIGTERM it stops first, while the outbox dispatcher and the bus still carry its pools' results.
        builder.Services.AddHostedService<PoolsShutdownOnStop>();
    }
}
