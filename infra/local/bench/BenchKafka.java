import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka's own Java clients for the benchmark, where kafkajs falls short (it cannot read or write
 * zstd batches):
 *
 * <pre>
 * dump    &lt;client.properties&gt; &lt;topic regex&gt; &lt;max records&gt; &lt;out file&gt;
 *         records from the beginning of every matching topic, one "topic TAB key TAB value" line each
 * offsets &lt;client.properties&gt; &lt;group&gt; &lt;in file&gt;
 *         sets a (memberless) group's committed offsets from "topic TAB partition TAB offset" lines
 * produce &lt;in file&gt; &lt;topic suffix or ""&gt; &lt;producer.properties&gt;...
 *         sends every "i TAB topic TAB key TAB value" line with the i-th producer (one per
 *         principal), flushes, prints "produced N in MS ms"; exits 1 if any send failed
 * </pre>
 */
public final class BenchKafka {
  private BenchKafka() {}

  private static Properties load(String file) throws Exception {
    Properties p = new Properties();
    try (FileInputStream in = new FileInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  public static void main(String[] args) throws Exception {
    if (args.length >= 4 && args[0].equals("dump")) {
      dump(load(args[1]), Pattern.compile(args[2]), Integer.parseInt(args[3]), args[4]);
    } else if (args.length >= 4 && args[0].equals("offsets")) {
      offsets(load(args[1]), args[2], args[3]);
    } else if (args.length >= 4 && args[0].equals("produce")) {
      produce(args[1], args[2], List.of(args).subList(3, args.length));
    } else {
      System.err.println("usage: dump <props> <regex> <max> <out> | offsets <props> <group> <in> | produce <in> <suffix> <props>...");
      System.exit(2);
    }
  }

  private static void dump(Properties p, Pattern topics, int max, String out) throws Exception {
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    int n = 0;
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
        PrintWriter w = new PrintWriter(out, StandardCharsets.UTF_8)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (var e : c.listTopics(Duration.ofSeconds(30)).entrySet()) {
        if (!topics.matcher(e.getKey()).matches()) continue;
        for (PartitionInfo pi : e.getValue()) parts.add(new TopicPartition(pi.topic(), pi.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      var end = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 60_000;
      while (n < max && System.currentTimeMillis() < deadline) {
        boolean done = true;
        for (TopicPartition tp : parts) if (c.position(tp) < end.get(tp)) done = false;
        if (done) break;
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          if (r.value() == null || n >= max) continue;
          w.print(r.topic());
          w.print('\t');
          w.print(r.key());
          w.print('\t');
          w.println(r.value());
          n++;
        }
      }
    }
    System.out.println("dumped " + n);
  }

  private static void offsets(Properties p, String group, String in) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
    for (String line : Files.readAllLines(Path.of(in), StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      if (f.length < 3) continue;
      m.put(new TopicPartition(f[0], Integer.parseInt(f[1])), new OffsetAndMetadata(Long.parseLong(f[2])));
    }
    try (Admin a = Admin.create(p)) {
      a.alterConsumerGroupOffsets(group, m).all().get(60, TimeUnit.SECONDS);
    }
    System.out.println("set " + m.size() + " offsets");
  }

  private static void produce(String in, String suffix, List<String> propFiles) throws Exception {
    List<KafkaProducer<String, String>> producers = new ArrayList<>();
    for (String f : propFiles) {
      Properties p = load(f);
      p.put("key.serializer", StringSerializer.class.getName());
      p.put("value.serializer", StringSerializer.class.getName());
      producers.add(new KafkaProducer<>(p));
    }
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> first = new AtomicReference<>();
    long n = 0;
    long t0 = System.nanoTime();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(new FileInputStream(in), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split("\t", 4);
        if (f.length < 4) continue;
        producers
            .get(Integer.parseInt(f[0]))
            .send(
                new ProducerRecord<>(f[1] + suffix, f[2], f[3]),
                (md, e) -> {
                  if (e != null) {
                    failed.incrementAndGet();
                    first.compareAndSet(null, e);
                  }
                });
        n++;
      }
    } finally {
      for (int i = 0; i < producers.size(); i++) {
        KafkaProducer<String, String> prod = producers.get(i);
        prod.flush();
        for (var m : prod.metrics().entrySet()) {
          if (m.getKey().name().equals("batch-size-avg") && m.getKey().group().equals("producer-metrics")) {
            System.out.println("producer " + i + " batch-size-avg " + m.getValue().metricValue());
          }
        }
        prod.close();
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    if (failed.get() > 0) {
      System.err.println(failed.get() + " of " + n + " records failed: " + first.get());
      System.exit(1);
    }
    System.out.println("produced " + n + " in " + ms + " ms");
  }
}
