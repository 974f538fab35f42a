using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Messaging;
using SessionBuddy.ServiceDefaults.Configuration;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.Sessions.Checkpoints;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Messages;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<SessionsOptions>(SessionsOptions.SectionName);
        builder.Services.AddSessionsDomain();

        builder.AddServiceDatabase("sessionsdb", typeof(Extensions).Assembly);
        builder.AddOutbox();
        builder.AddServiceBus(ServiceNames.Sessions, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }

    /// <summary>The stores and the lifecycle over them (the tests wire the same set against their own database).</summary>
    public static IServiceCollection AddSessionsDomain(this IServiceCollection services) => services
        .AddSingleton(sp => new SessionRules(sp.GetRequiredService<IOptions<SessionsOptions>>().Value))
        .AddSingleton<SessionWorkspaces>()
        .AddSingleton<SessionStore>()
        .AddSingleton<MessageStore>()
        .AddSingleton<CheckpointStore>()
        .AddSingleton<WorkingDirectoryProbe>()
        .AddSingleton<WorkspaceBackendRegistry>()
        .AddSingleton<WorkspaceFiles>()
        .AddSingleton<SessionLifecycle>();
}
