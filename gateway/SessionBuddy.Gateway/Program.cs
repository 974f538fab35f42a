using SessionBuddy.Gateway.Extensions;
using SessionBuddy.Gateway.Security;
using SessionBuddy.ServiceDefaults;

if (TokenCommand.IsInvoked(args))
{
    return TokenCommand.Run(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();
var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGatewayEndpoints();
app.Run();
return 0;
