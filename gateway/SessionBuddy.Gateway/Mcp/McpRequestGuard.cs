using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// What the SDK's Streamable HTTP handler leaves to the host, checked before it: DNS rebinding
/// protection (Host and Origin), a JSON body on POST, and the request size limit. Each refusal is a
/// JSON-RPC error body with the matching HTTP status.
/// </summary>
internal sealed class McpRequestGuard(RequestDelegate next, HostValidation hostValidation, IOptions<McpEndpointOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!hostValidation.IsAllowed(context.Request, out var reason))
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status403Forbidden, JsonRpcErrors.ServerError, reason);
            return;
        }

        if (HttpMethods.IsPost(context.Request.Method) && !context.Request.HasJsonContentType())
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, JsonRpcErrors.ServerError,
                "Unsupported Media Type: the body must be application/json.");
            return;
        }

        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteTooLargeAsync(context, limit);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = limit;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            // A chunked body that outgrew the limit while the SDK read it.
            await WriteTooLargeAsync(context, limit);
        }
    }

    private static Task WriteTooLargeAsync(HttpContext context, long limit) =>
        JsonRpcErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, JsonRpcErrors.ServerError,
            $"Payload Too Large: the body exceeds {limit} bytes.");
}
