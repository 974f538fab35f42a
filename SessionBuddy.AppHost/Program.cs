using SessionBuddy.AppHost;
using SessionBuddy.AppHost.Local;

var builder = DistributedApplication.CreateBuilder(args);

if (!builder.ExecutionContext.IsPublishMode && LocalInfrastructure.MissingPrerequisites(builder) is { Length: > 0 } missing)
{
    Console.Error.WriteLine(missing);
    return 3;
}
var infrastructure = builder.ExecutionContext.IsPublishMode
    ? builder.AddContainerInfrastructure()
    : builder.AddLocalInfrastructure();
builder.AddSessionBuddy(infrastructure);

await builder.Build().RunAsync();
return 0;
