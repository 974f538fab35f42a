using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>Reads one POSTed JSON-RPC message within the size limit, telling bad JSON from bad JSON-RPC.</summary>
internal static class JsonRpcRequestBody
{
    private static readonly JsonTypeInfo<JsonRpcMessage> MessageTypeInfo =
        (JsonTypeInfo<JsonRpcMessage>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage));

    /// <summary>The posted JSON-RPC message, or null after answering 413 or 400 (-32700 / -32600).</summary>
    public static async Task<JsonRpcMessage?> ReadAsync(HttpContext context, long limit)
    {
        byte[] body;
        try
        {
            body = await ReadBodyAsync(context.Request, limit, context.RequestAborted);
            if (body.Length > limit)
            {
                await WriteTooLargeAsync(context, limit);
                return null;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteTooLargeAsync(context, limit);
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrors.ParseError,
                "Parse error: the body is not valid JSON.");
            return null;
        }

        using (document)
        {
            try
            {
                if (document.Deserialize(MessageTypeInfo) is { } message)
                {
                    return message;
                }
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
            }
        }

        await JsonRpcErrors.WriteAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrors.InvalidRequest,
            "Invalid Request: the body is not a single JSON-RPC 2.0 request, notification or response.");
        return null;
    }

    /// <summary>Reads at most limit + 1 bytes, so an oversized body is detected without buffering all of it.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return new byte[limit + 1];
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = limit + 1;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                break;
            }
        }

        return buffer.ToArray();
    }

    private static Task WriteTooLargeAsync(HttpContext context, long limit) =>
        JsonRpcErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, JsonRpcErrors.ServerError,
            $"Payload Too Large: the body exceeds {limit} bytes.");
}
