using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace SessionBuddy.ServiceDefaults.Telemetry;

/// <summary>
/// Adds the OpenTelemetry HTTP semantic-convention tags to ASP.NET Core's server span, which
/// the instrumentation package would normally add (that package is not obtainable here).
/// </summary>
public sealed class HttpServerSpanTags(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var activity = Activity.Current;
        if (activity is null || !activity.IsAllDataRequested)
        {
            await next(context);
            return;
        }

        var request = context.Request;
        activity.SetTag("http.request.method", request.Method);
        activity.SetTag("url.scheme", request.Scheme);
        activity.SetTag("url.path", request.Path.Value);
        activity.SetTag("server.address", request.Host.Host);
        if (request.Host.Port is { } port)
        {
            activity.SetTag("server.port", port);
        }

        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText;
            if (route is not null)
            {
                activity.SetTag("http.route", route);
                activity.DisplayName = $"{request.Method} {route}";
            }
            activity.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.Response.StatusCode >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }
}
