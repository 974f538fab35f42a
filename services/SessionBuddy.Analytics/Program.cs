using SessionBuddy.Analytics.Extensions;
using SessionBuddy.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAnalyticsEndpoints();

app.Run();
