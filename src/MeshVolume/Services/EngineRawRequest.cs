using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;

namespace MeshVolume.Services
{
    /// <summary>
    /// Sends a GET to an engine path and returns the raw response body, for responses whose
    /// shape differs between API versions more than the client library's models allow.
    /// </summary>
    internal static class EngineRawRequest
    {
        // NOTE: Docker.DotNet.Enhanced 4.4.1 keeps its raw-request method internal, so it is
        // reached by reflection; a later library version may rename it, and then this returns null.
        private static readonly MethodInfo StreamRequest = typeof(DockerClient)
            .GetMethods(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .FirstOrDefault(m => m.Name == "MakeRequestForStreamAsync" &&
                m.GetParameters().Length == 4 &&
                m.GetParameters()[1].ParameterType == typeof(HttpMethod) &&
                m.GetParameters()[2].ParameterType == typeof(string));

        /// <summary>Returns the body of GET {path}, or null when raw requests are unavailable.</summary>
        public static async Task<byte[]> GetAsync(
            DockerClient client, string path, CancellationToken cancellationToken)
        {
            if (StreamRequest == null)
            {
                return null;
            }

            Type handlerList = StreamRequest.GetParameters()[0].ParameterType;
            Type handlerType = handlerList.GetGenericArguments()[0];
            Array noHandlers = Array.CreateInstance(handlerType, 0);
            var task = (Task)StreamRequest.Invoke(
                client, new object[] { noHandlers, HttpMethod.Get, path, cancellationToken });
            await task.ConfigureAwait(false);
            using (var body = (Stream)task.GetType().GetProperty("Result").GetValue(task))
            using (var buffer = new MemoryStream())
            {
                await body.CopyToAsync(buffer, 81920, cancellationToken).ConfigureAwait(false);
                return buffer.ToArray();
            }
        }
    }
}
