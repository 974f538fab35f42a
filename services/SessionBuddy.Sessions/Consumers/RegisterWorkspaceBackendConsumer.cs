using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class RegisterWorkspaceBackendConsumer(WorkspaceBackendRegistry registry) : IConsumer<RegisterWorkspaceBackend>
{
    public Task Consume(ConsumeContext<RegisterWorkspaceBackend> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return registry.RegisterAsync(request.Name, request.Kind, request.Container, request.Root, request.SessionId, context.CancellationToken);
    });
}
