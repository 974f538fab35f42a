using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ListWorkspaceBackendsConsumer(WorkspaceBackendRegistry registry) : IConsumer<ListWorkspaceBackends>
{
    public Task Consume(ConsumeContext<ListWorkspaceBackends> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return registry.ListAsync(context.CancellationToken);
    });
}
