//! Generated corpora for tests and benchmarks: realistic shapes and cardinalities, deterministic.
#![allow(dead_code)]

use std::fmt::Write;

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Skewed pick: low indices are much more frequent, as in real logs.
    pub fn skewed(&mut self, n: u64) -> u64 {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b).min(self.below(n))
    }
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

const REGIONS: [&str; 8] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
];
const SERVICES: [&str; 12] = [
    "s3",
    "ec2",
    "iam",
    "sts",
    "kms",
    "lambda",
    "cloudtrail",
    "logs",
    "rds",
    "dynamodb",
    "sns",
    "sqs",
];
const VERBS: [&str; 10] = [
    "Describe", "List", "Get", "Put", "Create", "Delete", "Update", "Attach", "Run", "Assume",
];
const NOUNS: [&str; 25] = [
    "Instances",
    "Buckets",
    "BucketPolicy",
    "Role",
    "Policy",
    "Key",
    "Function",
    "Trail",
    "LogGroup",
    "DBInstance",
    "Table",
    "Topic",
    "Queue",
    "SecurityGroup",
    "Volume",
    "Snapshot",
    "User",
    "AccessKey",
    "Alias",
    "Grant",
    "Image",
    "Subnet",
    "Vpc",
    "Tags",
    "Object",
];
const ERRORS: [&str; 6] = [
    "AccessDenied",
    "Client.UnauthorizedOperation",
    "NoSuchEntity",
    "ThrottlingException",
    "ValidationException",
    "ResourceNotFoundException",
];

/// One CloudTrail record (compact JSON, like delivered files), index `i` of a corpus.
pub fn cloudtrail_event(rng: &mut Rng, i: u64, base_ms: i64) -> String {
    let account = 100_000_000_000u64 + rng.skewed(3);
    let region = REGIONS[rng.skewed(REGIONS.len() as u64) as usize];
    let svc = SERVICES[rng.skewed(SERVICES.len() as u64) as usize];
    let verb = VERBS[rng.below(VERBS.len() as u64) as usize];
    let noun = NOUNS[rng.skewed(NOUNS.len() as u64) as usize];
    let read = matches!(verb, "Describe" | "List" | "Get");
    let user = rng.skewed(200);
    let ip = format!("203.0.{}.{}", rng.skewed(8), rng.skewed(250));
    let ua = format!(
        "aws-cli/2.{}.{} Python/3.11 Linux/5.10",
        rng.skewed(10),
        rng.below(5)
    );
    let t = base_ms + (i as i64) * 150 + rng.below(100) as i64;
    let secs = t / 1000;
    let time = trailproof_events::time::format_rfc3339(secs * 1000);
    let identity = if user % 5 == 0 {
        format!(
            r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLE{user:05}:session-{s}","arn":"arn:aws:sts::{account}:assumed-role/role-{user}/session-{s}","accountId":"{account}","accessKeyId":"ASIAEXAMPLE{user:09}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLE{user:05}","arn":"arn:aws:iam::{account}:role/role-{user}","accountId":"{account}","userName":"role-{user}"}},"attributes":{{"creationDate":"{time}","mfaAuthenticated":"false"}}}}}}"#,
            s = rng.skewed(20)
        )
    } else {
        format!(
            r#"{{"type":"IAMUser","principalId":"AIDAEXAMPLE{user:09}","arn":"arn:aws:iam::{account}:user/user-{user}","accountId":"{account}","accessKeyId":"AKIAEXAMPLE{user:09}","userName":"user-{user}"}}"#
        )
    };
    let mut s = String::with_capacity(1200);
    write!(
        s,
        r#"{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"{time}","eventSource":"{svc}.amazonaws.com","eventName":"{verb}{noun}","awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":"{ua}","#
    )
    .unwrap();
    if rng.below(20) == 0 {
        let code = ERRORS[rng.skewed(ERRORS.len() as u64) as usize];
        write!(s, r#""errorCode":"{code}","errorMessage":"User is not authorized to perform {svc}:{verb}{noun}","#).unwrap();
    }
    write!(
        s,
        r#""requestParameters":{{"name":"res-{r}","maxResults":50}},"responseElements":null,"requestID":"{rid}","eventID":"{eid}","readOnly":{read},"#,
        r = rng.skewed(5000),
        rid = rng.uuid(),
        eid = rng.uuid()
    )
    .unwrap();
    if !read && rng.below(2) == 0 {
        write!(
            s,
            r#""resources":[{{"accountId":"{account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::bucket-{b}"}}],"#,
            b = rng.skewed(5000)
        )
        .unwrap();
    }
    write!(
        s,
        r#""eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{svc}.{region}.amazonaws.com"}}}}"#
    )
    .unwrap();
    s
}

/// A CloudTrail log file `{"Records":[...]}` with `n` events.
pub fn cloudtrail_file(seed: u64, n: u64, base_ms: i64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut s = String::from(r#"{"Records":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&cloudtrail_event(&mut rng, i, base_ms));
    }
    s.push_str("]}");
    s.into_bytes()
}

/// ActionTrail events as a JSON array (OSS delivery).
pub fn actiontrail_array(seed: u64, n: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let items: Vec<String> = (0..n).map(|i| actiontrail_event(&mut rng, i)).collect();
    format!("[{}]", items.join(",")).into_bytes()
}

pub fn actiontrail_event(rng: &mut Rng, i: u64) -> String {
    let user = rng.skewed(50);
    let rw = if rng.below(3) == 0 { "Write" } else { "Read" };
    let (extra_key, err) = if i % 2 == 0 {
        ("additionalEventData", "")
    } else {
        (
            "addionalEventData",
            r#""errorCode":"Forbidden.RAM","errorMessage":"not authorized","#,
        )
    };
    format!(
        r#"{{"eventId":"{id}","eventVersion":1,"eventSource":"ecs.cn-hangzhou.aliyuncs.com","sourceIpAddress":"47.100.{a}.{b}","userAgent":"AlibabaCloud SDK","eventRW":"{rw}","eventType":"ApiCall","userIdentity":{{"accountId":"1047585191180000","principalId":"2454942900362{user:03}","type":"ram-user","userName":"ram-{user}"}},"serviceName":"Ecs",{err}"{extra_key}":{{"loginAccount":"ram-{user}@example"}},"requestId":"{rid}","eventTime":"2024-05-01T{h:02}:{m:02}:00Z","isGlobal":false,"acsRegion":"cn-hangzhou","eventName":"DescribeInstances{k}","referencedResources":{{"ACS::ECS::Instance":["i-{r}"]}}}}"#,
        id = rng.uuid().to_uppercase(),
        a = rng.below(255),
        b = rng.below(255),
        rid = rng.uuid(),
        h = i / 60 % 24,
        m = i % 60,
        k = rng.skewed(10),
        r = rng.skewed(300),
    )
}

/// CTS traces, alternating epoch-ms and string times, as a JSON array.
pub fn cts_array(seed: u64, n: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut items = Vec::new();
    for i in 0..n {
        let time = if i % 2 == 0 {
            format!("{}", 1_714_525_200_000u64 + i * 1000)
        } else {
            let t = 1_714_525_200_000i64 + i as i64 * 1000 + 8 * 3_600_000;
            let s = trailproof_events::time::format_rfc3339(t);
            format!("\"{} {} GMT+08:00\"", s[..10].replace('-', "/"), &s[11..19])
        };
        let rating = if i % 10 == 0 { "warning" } else { "normal" };
        items.push(format!(
            r#"{{"time":{time},"user":{{"id":"u{u}","name":"user-{u}","domain":{{"id":"d0","name":"example"}}}},"request":"","response":"","code":"{code}","service_type":"EVS","resource_type":"evs","resource_name":"volume-{r}","resource_id":"{rid}","source_ip":"198.51.100.{ip}","trace_name":"deleteVolume","trace_rating":"{rating}","trace_type":"ConsoleAction","api_version":"2.0","record_time":{rt},"trace_id":"{tid}"}}"#,
            u = rng.skewed(20),
            code = if rating == "warning" { "403" } else { "200" },
            r = rng.skewed(100),
            rid = rng.uuid(),
            ip = rng.skewed(200),
            rt = 1_714_525_201_000u64 + i * 1000,
            tid = rng.uuid(),
        ));
    }
    format!("[{}]", items.join(",\n")).into_bytes()
}

/// GCP LogEntry NDJSON.
pub fn gcp_ndjson(seed: u64, n: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut s = String::new();
    for i in 0..n {
        let status = if i % 7 == 0 {
            r#","status":{"code":7,"message":"denied"}"#
        } else {
            ""
        };
        writeln!(
            s,
            r#"{{"insertId":"gcp{i:08}","logName":"projects/proj-{p}/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{{"principalEmail":"user{u}@example.com"}},"methodName":"v1.compute.instances.insert","requestMetadata":{{"callerIp":"2001:db8::{ip:x}","callerSuppliedUserAgent":"gcloud"}},"resourceName":"projects/proj-{p}/zones/us-central1-a/instances/vm-{i}","serviceName":"compute.googleapis.com"{status}}},"resource":{{"labels":{{"project_id":"proj-{p}","zone":"us-central1-a"}},"type":"gce_instance"}},"severity":"NOTICE","timestamp":"2024-05-01T00:{m:02}:{sec:02}.123456789Z"}}"#,
            p = rng.skewed(3),
            u = rng.skewed(30),
            ip = rng.skewed(500) + 1,
            m = i / 60 % 60,
            sec = i % 60,
        )
        .unwrap();
    }
    s.into_bytes()
}

/// Azure storage export: `{"records":[...]}` (pre-2018) when `wrapped`, JSON Lines otherwise.
pub fn azure_storage(seed: u64, n: u64, wrapped: bool) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut items = Vec::new();
    for i in 0..n {
        let failed = i % 5 == 0;
        items.push(format!(
            r#"{{"time":"2024-05-01T01:{m:02}:{s:02}.1234567Z","resourceId":"/SUBSCRIPTIONS/0000-SUB/RESOURCEGROUPS/RG{g}/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM{v}","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/{op}","category":"Administrative","resultType":"{rt}","resultSignature":"{sig}","durationMs":"12","callerIpAddress":"192.0.2.{ip}","correlationId":"{c}","identity":{{"authorization":{{"scope":"/subscriptions/0000-sub","action":"Microsoft.Compute/virtualMachines/write"}},"claims":{{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"admin{u}@contoso.com","name":"Admin {u}"}}}},"level":"Information","location":"westeurope","properties":{{"statusCode":"{code}"}}}}"#,
            m = i / 60 % 60,
            s = i % 60,
            g = rng.skewed(5),
            v = rng.skewed(40),
            op = if i % 3 == 0 { "DELETE" } else { "WRITE" },
            rt = if failed { "Failure" } else { "Success" },
            sig = if failed { "Forbidden" } else { "Succeeded.OK" },
            code = if failed { "Forbidden" } else { "OK" },
            ip = rng.skewed(200),
            c = rng.uuid(),
            u = rng.skewed(10),
        ));
    }
    if wrapped {
        format!("{{\"records\":[{}]}}", items.join(",")).into_bytes()
    } else {
        (items.join("\n") + "\n").into_bytes()
    }
}

/// SLS export rows with `event.`-prefixed keys (nested parts as JSON strings).
pub fn sls_flat(seed: u64, n: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut s = String::new();
    for i in 0..n {
        writeln!(
            s,
            r#"{{"__topic__":"actiontrail_audit_event","__time__":"{t}","event.eventId":"{id}","event.eventName":"CreateUser","event.eventTime":"2024-05-01T02:00:{sec:02}Z","event.acsRegion":"cn-shanghai","event.eventRW":"Write","event.serviceName":"Ram","event.sourceIpAddress":"100.64.0.{ip}","event.userIdentity":"{{\"type\":\"root-account\",\"accountId\":\"1234\",\"userName\":\"root\"}}"}}"#,
            t = 1_714_528_800 + i,
            id = rng.uuid(),
            sec = i % 60,
            ip = rng.skewed(100),
        )
        .unwrap();
    }
    s.into_bytes()
}
