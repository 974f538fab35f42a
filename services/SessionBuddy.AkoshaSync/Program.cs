using SessionBuddy.AkoshaSync.Extensions;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAkoshaHub();

app.Run();
