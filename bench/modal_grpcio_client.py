#!/usr/bin/python3
"""The same calls as bench/modal_client_latency.cpp, made with Python's grpcio (the client
Modal's own SDK is built on), for comparison in one run. Prints one JSON object.

  modal_grpcio_client.py PROTO_DIR URL CA TOKEN_ID TOKEN_SECRET CALLS SANDBOX_ID
"""
import json, sys, time
import grpc

proto_dir, url, ca, token_id, token_secret, calls, sandbox_id = sys.argv[1:8]
sys.path.insert(0, proto_dir)
import api_pb2 as pb  # noqa: E402

channel = grpc.secure_channel(url.removeprefix("https://"),
                              grpc.ssl_channel_credentials(open(ca, "rb").read()),
                              options=[("grpc.max_receive_message_length", 100 << 20)])
metadata = [("x-modal-client-type", "9"), ("x-modal-client-version", "1.0.0"),
            ("x-modal-token-id", token_id), ("x-modal-token-secret", token_secret)]
auth = channel.unary_unary("/modal.client.ModalClient/AuthTokenGet",
                           request_serializer=pb.AuthTokenGetRequest.SerializeToString,
                           response_deserializer=pb.AuthTokenGetResponse.FromString)
metadata.append(("x-modal-auth-token", auth(pb.AuthTokenGetRequest(), metadata=metadata, timeout=30).token))
app = channel.unary_unary("/modal.client.ModalClient/AppGetOrCreate",
                          request_serializer=pb.AppGetOrCreateRequest.SerializeToString,
                          response_deserializer=pb.AppGetOrCreateResponse.FromString)
micros = []
for _ in range(int(calls)):
    start = time.perf_counter()
    app(pb.AppGetOrCreateRequest(app_name="bench", object_creation_type=1), metadata=metadata, timeout=30)
    micros.append((time.perf_counter() - start) * 1e6)
logs = channel.unary_stream("/modal.client.ModalClient/SandboxGetLogs",
                            request_serializer=pb.SandboxGetLogsRequest.SerializeToString,
                            response_deserializer=pb.TaskLogsBatch.FromString)
start = time.perf_counter()
received = 0
for batch in logs(pb.SandboxGetLogsRequest(sandbox_id=sandbox_id, timeout=55, last_entry_id="0-0"),
                  metadata=metadata, timeout=300):
    for item in batch.items:
        received += len(item.data)
    if batch.eof:
        break
print(json.dumps({"unary_micros": micros, "log_bytes": received, "log_seconds": time.perf_counter() - start}))
